#!/bin/sh
# check_cli.sh -- exercises every form of the `truepoint` command-line tool:
# help and version, formats, encode, decode, demo; known vectors from the
# format research notes; round trips; stochastic-rounding reproducibility;
# and bad input (exit status and the line number in the message).
#
# Run by `make check` with top_srcdir and top_builddir set; by hand:
#   top_srcdir=/path/to/src top_builddir=/path/to/build sh tests/check_cli.sh
# Exit status 0 if every check passed, 1 otherwise.

top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
T=$top_builddir/truepoint

if [ ! -x "$T" ]; then
    echo "check_cli: $T not found (build it first)"
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check_cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

npass=0
nfail=0
pass() { npass=$((npass + 1)); }
fail() {
    nfail=$((nfail + 1))
    printf 'FAIL: %s\n' "$*"
}

# run INPUT ARGS...: runs the tool with INPUT (printf %b escapes) on stdin;
# sets $rc, leaves stdout in $tmp/out and stderr in $tmp/err.
run() {
    input=$1
    shift
    printf '%b' "$input" | "$T" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}

# expect NAME INPUT WANT ARGS...: exit status 0 and stdout equal to WANT
# (lines separated by \n escapes).
expect() {
    name=$1 input=$2 want=$3
    shift 3
    run "$input" "$@"
    printf '%b\n' "$want" >"$tmp/want"
    if [ "$rc" -ne 0 ]; then
        fail "$name: truepoint $* exited $rc: $(cat "$tmp/err")"
    elif ! cmp -s "$tmp/out" "$tmp/want"; then
        fail "$name: truepoint $* printed '$(tr '\n' ' ' <"$tmp/out")', expected '$(tr '\n' ' ' <"$tmp/want")'"
    else
        pass
    fi
}

# expect_error NAME INPUT STATUS PATTERN ARGS...: exit status STATUS and
# stderr containing PATTERN (a fixed string).
expect_error() {
    name=$1 input=$2 want_rc=$3 pattern=$4
    shift 4
    run "$input" "$@"
    if [ "$rc" -ne "$want_rc" ]; then
        fail "$name: truepoint $* exited $rc, expected $want_rc (stderr: $(cat "$tmp/err"))"
    elif ! grep -F -e "$pattern" "$tmp/err" >/dev/null; then
        fail "$name: stderr of truepoint $* lacks '$pattern': $(cat "$tmp/err")"
    else
        pass
    fi
}

# expect_grep NAME FILE PATTERN: FILE contains the fixed string PATTERN.
expect_grep() {
    if grep -F -e "$3" "$2" >/dev/null; then
        pass
    else
        fail "$1: output lacks '$3'"
    fi
}

# The format names, from the library's table source (not from the tool).
names=$(sed -n 's/^TP_FORMAT_ROW([A-Z0-9_]*, *"\([a-z0-9]*\)".*/\1/p' "$top_srcdir/lib/core/formats.def")
nnames=$(echo $names | wc -w)
if [ "$nnames" -lt 20 ]; then
    fail "could not read the format names from $top_srcdir/lib/core/formats.def"
fi
version=$(sed -n 's/^#define TP_VERSION_STRING "\(.*\)"/\1/p' "$top_srcdir/include/truepoint.h")

# ------------------------------------------------------------ help, version
run '' --help
if [ "$rc" -eq 0 ]; then pass; else fail "--help exited $rc"; fi
cp "$tmp/out" "$tmp/help"
for word in formats encode decode demo help --version --help; do
    expect_grep "--help lists $word" "$tmp/help" "$word"
done
run '' help
if [ "$rc" -eq 0 ] && cmp -s "$tmp/out" "$tmp/help"; then pass; else fail "'help' differs from --help"; fi
expect_error "no arguments" '' 2 "Usage: truepoint"

run '' --version
if [ "$rc" -eq 0 ] && grep -F "truepoint $version" "$tmp/out" >/dev/null; then
    pass
else
    fail "--version: exit $rc, output '$(cat "$tmp/out")', expected version $version"
fi

for cmd in formats encode decode demo; do
    run '' "$cmd" --help
    if [ "$rc" -eq 0 ] && head -n 1 "$tmp/out" | grep "^Usage: truepoint $cmd" >/dev/null; then
        pass
    else
        fail "$cmd --help: exit $rc, first line '$(head -n 1 "$tmp/out")'"
    fi
    cp "$tmp/out" "$tmp/cmdhelp"
    run '' help "$cmd"
    if [ "$rc" -eq 0 ] && cmp -s "$tmp/out" "$tmp/cmdhelp"; then pass; else fail "help $cmd differs from $cmd --help"; fi
done
run '' encode --help
for opt in -f -r -o --seed -d --flags rne rna rtz rup rdn rto sr sat nonsat; do
    expect_grep "encode --help lists $opt" "$tmp/out" " $opt"
done
run '' decode --help
for opt in -f --to --decimal --flags; do
    expect_grep "decode --help lists $opt" "$tmp/out" " $opt"
done
run '' demo --help
for opt in --seed --count; do
    expect_grep "demo --help lists $opt" "$tmp/out" " $opt"
done

# ------------------------------------------------------------ formats
run '' formats
if [ "$rc" -eq 0 ]; then pass; else fail "formats exited $rc"; fi
cp "$tmp/out" "$tmp/formats"
if head -n 1 "$tmp/formats" | grep '^name  *bits' >/dev/null; then pass; else fail "formats: no header line"; fi
nlines=$(wc -l <"$tmp/formats")
if [ "$nlines" -eq $((nnames + 1)) ]; then pass; else fail "formats: $nlines lines for $nnames formats"; fi
for n in $names; do
    if awk -v n="$n" '$1 == n { found = 1 } END { exit !found }' "$tmp/formats"; then
        pass
    else
        fail "formats lacks $n"
    fi
done
# A few limits (formats.md section 1).
for row in "e4m3 448 0.001953125" "e5m2 57344 1.52587890625e-05" "e4m3fnuz 240 0.0009765625" \
    "e2m1 6 0.5" "e2m3 7.5 0.125" "e3m2 28 0.0625" "f16 65504 5.9604644775390625e-08" \
    "e3m4 15.5 0.015625" "e4m3b11fnuz 30 0.0001220703125"; do
    set -- $row
    if awk -v n="$1" -v mx="$2" -v mn="$3" '$1 == n && $5 == mx && $6 == mn { found = 1 } END { exit !found }' "$tmp/formats"; then
        pass
    else
        fail "formats: row of $1 lacks max $2 / min subnormal $3"
    fi
done
expect_error "formats with an argument" '' 2 "unexpected argument" formats extra

# ------------------------------------------------------------ encode: vectors
# Known vectors (binary32/decimal input -> code): formats.md section 10 and
# the library's documented rules (saturating default for the OCP formats).
expect "e4m3 448, 464" '448\n464' '0x7e\n0x7e' encode -f e4m3
expect "e4m3 465 sat/nonsat" '465\n1000' '0x7e\n0x7e' encode -f e4m3
expect "e4m3 nonsat" '465\n1000\ninf\n-inf' '0x7f\n0x7f\n0x7f\n0xff' encode -f e4m3 -o nonsat
expect "e4m3 -0, nan, subnormals" '-0\nnan\n0.0009765625\n0.00146484375' '0x80\n0x7f\n0x00\n0x01' encode -f e4m3
expect "e5m2 57344, 61439" '57344\n61439\n61440' '0x7b\n0x7b\n0x7b' encode -f e5m2
expect "e5m2 nonsat 61440" '61440\ninf' '0x7c\n0x7c' encode -f e5m2 -o nonsat
expect "e4m3fnuz" '240\n-0\nnan' '0x7f\n0x00\n0x80' encode -f e4m3fnuz
expect "e4m3fnuz nonsat 248" '248\ninf' '0x80\n0x80' encode -f e4m3fnuz -o nonsat
expect "e4m3b11fnuz" '30\n30.9' '0x7f\n0x7f' encode -f e4m3b11fnuz
expect "e4m3ieee nonsat" '240\n248' '0x77\n0x78' encode -f e4m3ieee -o nonsat
expect "e3m4 nonsat" '15.5\n15.75' '0x6f\n0x70' encode -f e3m4 -o nonsat
expect "e2m1 0.75 -> 0x02" '0.75\n1.25\n1.75\n2.5\n3.5\n5\n6\n7\n100\n-0' \
    '0x02\n0x02\n0x04\n0x04\n0x06\n0x06\n0x07\n0x07\n0x07\n0x08' encode -f e2m1
expect "e2m3" '7.5\n7.75\n8\ninf\n-0' '0x1f\n0x1f\n0x1f\n0x1f\n0x20' encode -f e2m3
expect "e3m2" '28\n30\n32' '0x1f\n0x1f\n0x1f' encode -f e3m2
expect "e8m0 rne (3 -> 0x80)" '1\n1.5\n1.4999999\n3\n6\n12' '0x7f\n0x80\n0x7f\n0x80\n0x82\n0x82' encode -f e8m0
expect "e8m0 rup" '3\n1.5' '0x81\n0x80' encode -f e8m0 -r rup
expect "e8m0 invalid" '0\n-1\nnan' '0xff\n0xff\n0xff' encode -f e8m0
expect "mxint8" '0.0234375\n0.0390625\n-2\n3' '0x02\n0x02\n0x81\n0x7f' encode -f mxint8
expect "int4/uint4 saturate" '9\n-9\n7.9' '0x07\n0x08\n0x07' encode -f int4
expect "uint4 saturates" '17\n15' '0x0f\n0x0f' encode -f uint4
# Widths: 2 digits up to 8 bits, 4 for 16-bit formats, 8 for f32, 16 for f64.
expect "width f16" '1' '0x3c00' encode -f f16
expect "width bf16" '1' '0x3f80' encode -f bf16
expect "width f32" '1' '0x3f800000' encode -f f32
expect "width f64" '1' '0x3ff0000000000000' encode -f f64
expect "f16 IEEE overflow by default" '65520\n1e6' '0x7c00\n0x7c00' encode -f f16
expect "f16 -o sat" '1e6' '0x7bff' encode -f f16 -o sat
# Hex input is binary32 bits, exact.
expect "hex binary32 bits" '0x43e00000\n0x3F800000\n0x00000001\n0x7fc00000\n0xff800000' \
    '0x7e\n0x38\n0x00\n0x7f\n0xfe' encode -f e4m3
# Decimal input is rounded to binary64, then once to the format: 1 + 2^-4 +
# 2^-30 is above the e4m3 tie 1.0625 (-> 0x39); through binary32 it would be
# the tie itself (-> 0x38).
expect "decimal never through binary32" '1.062500000931322574615478515625' '0x39' encode -f e4m3
expect "-d binary64 bits" '0x3ff1000000400000\n0x3ff8000000000000\n0x7ff0000000000000' '0x39\n0x3c\n0x7e' encode -f e4m3 -d
expect "binary32 bits of the same value" '0x3f880000' '0x38' encode -f e4m3
expect "-d --double" '0x3ff8000000000000' '0x3c' encode -f e4m3 --double
# Rounding modes on the e4m3 tie 1.0625 (between 0x38 and 0x39) and its negative.
for m in "rne 0x38 0xb8" "rna 0x39 0xb9" "rtz 0x38 0xb8" "rup 0x39 0xb8" "rdn 0x38 0xb9" "rto 0x39 0xb9"; do
    set -- $m
    expect "e4m3 -r $1" '1.0625\n-1.0625' "$2\n$3" encode -f e4m3 -r "$1"
done
expect "long options" '1.0625' '0x39' encode --format=e4m3 --round=rna
expect "attached short options" '1.0625' '0x39' encode -fe4m3 -rrna
expect "blanks and CRLF" '  448  \r\n\t1\r\n' '0x7e\n0x38' encode -f e4m3
expect "blank lines skipped" '448\n\n   \n1\n' '0x7e\n0x38' encode -f e4m3
run '' encode -f e4m3 </dev/null
if [ "$rc" -eq 0 ] && [ ! -s "$tmp/out" ]; then pass; else fail "encode with empty input"; fi
# Flags column.
expect "--flags" '448\n465\n0.001\nnan' '0x7e none\n0x7e inexact,overflow\n0x01 inexact,underflow\n0x7f none' \
    encode -f e4m3 --flags
expect "--flags invalid" 'nan\n0' '0x00 invalid\n0x00 none' encode -f e2m1 --flags
expect "--flags nonsat e4m3 inf" 'inf' '0x7f invalid' encode -f e4m3 -o nonsat --flags

# ------------------------------------------------------------ decode
expect "decode e4m3" '0x7e\n7e\n0x007e\n0x01\n80\n0x7f' \
    '0x43e00000\n0x43e00000\n0x43e00000\n0x3b000000\n0x80000000\n0x7ff00000' decode -f e4m3
expect "decode e2m1 --decimal" '0\n1\n2\n3\n4\n5\n6\n7\n8\n9\na\nb\nc\nd\ne\nf' \
    '0\n0.5\n1\n1.5\n2\n3\n4\n6\n-0\n-0.5\n-1\n-1.5\n-2\n-3\n-4\n-6' decode -f e2m1 --decimal
expect "decode --to f64" '0x7e\n0x01' '0x407c000000000000\n0x3f60000000000000' decode -f e4m3 --to f64
expect "decode e5m2 specials --decimal" '0x7c\n0xfc\n0x7e\n0xfe\n0x01' 'inf\n-inf\nnan\n-nan\n1.5258789e-05' \
    decode -f e5m2 --decimal
expect "decode --to f64 --decimal" '0x01\n0x7b' '1.52587890625e-05\n57344' decode -f e5m2 --to f64 --decimal
expect "decode e8m0" '0x00\n0x7f\n0x80\n0xff' '0x00400000\n0x3f800000\n0x40000000\n0x7fc00000' decode -f e8m0
expect "decode ue4m3 --flags" '0x7e\n0x80' '0x43e00000 none\n0x7fc00000 invalid' decode -f ue4m3 --flags
expect "decode f64 --to f64" '0x3ff8000000000000' '0x3ff8000000000000' decode -f f64 --to f64
expect "decode f64 --decimal" '0x3fb999999999999a' '0.1' decode -f f64 --to f64 --decimal
expect "decode f32 --decimal" '0x3dcccccd\n0x7f7fffff\n0x00000001' '0.1\n3.4028235e+38\n1e-45' decode -f f32 --decimal
expect "decode mxint8 --decimal" '0x01\n0x80\n0x7f' '0.015625\n-2\n1.984375' decode -f mxint8 --decimal
expect_error "decode f64 to f32" '0x0' 2 "--to f64" decode -f f64

# Round trips over every code of the small formats: decode --decimal, then
# encode the decimal back; decode to binary32 and binary64 bits and encode
# those back (hex, and -d).  NaN codes are left out (a NaN code need not come
# back: an IEEE NaN is quieted), and so is mxint8 0x80 (-2, decoded but never
# produced: -2 saturates to 0x81); -o nonsat keeps the infinities.
for f in e4m3 e5m2 e4m3fnuz e5m2fnuz e4m3b11fnuz e4m3ieee e3m4 e2m3 e3m2 e2m1 e8m0 ue4m3 \
    mxint8 int8 int4 uint4 f16 bf16; do
    bits=$(awk -v n="$f" '$1 == n { print $2 }' "$tmp/formats")
    [ -n "$bits" ] || { fail "round trip $f: no width"; continue; }
    awk -v b="$bits" 'BEGIN { for (i = 0; i < 2 ^ b; i++) printf "0x%x\n", i }' >"$tmp/codes"
    "$T" decode -f "$f" --decimal <"$tmp/codes" >"$tmp/dec" 2>"$tmp/err" &&
        "$T" decode -f "$f" <"$tmp/codes" >"$tmp/b32" 2>>"$tmp/err" &&
        "$T" decode -f "$f" --to f64 <"$tmp/codes" >"$tmp/b64" 2>>"$tmp/err"
    if [ $? -ne 0 ]; then
        fail "round trip $f: decode failed: $(cat "$tmp/err")"
        continue
    fi
    # code (as printed), decimal, f32 bits, f64 bits, without NaNs.
    awk -v b="$bits" '{ printf "0x%0" (b > 8 ? 4 : 2) "x\n", NR - 1 }' "$tmp/codes" |
        paste -d ' ' - "$tmp/dec" "$tmp/b32" "$tmp/b64" |
        awk -v f="$f" '$2 != "nan" && $2 != "-nan" && !(f == "mxint8" && $1 == "0x80")' >"$tmp/table"
    cut -d ' ' -f 1 "$tmp/table" >"$tmp/want"
    ok=1
    cut -d ' ' -f 2 "$tmp/table" | "$T" encode -f "$f" -o nonsat >"$tmp/got" 2>"$tmp/err" &&
        cmp -s "$tmp/got" "$tmp/want" || { ok=0; fail "round trip $f via decimal"; }
    cut -d ' ' -f 3 "$tmp/table" | "$T" encode -f "$f" -o nonsat >"$tmp/got" 2>"$tmp/err" &&
        cmp -s "$tmp/got" "$tmp/want" || { ok=0; fail "round trip $f via binary32 bits"; }
    cut -d ' ' -f 4 "$tmp/table" | "$T" encode -f "$f" -o nonsat -d >"$tmp/got" 2>"$tmp/err" &&
        cmp -s "$tmp/got" "$tmp/want" || { ok=0; fail "round trip $f via binary64 bits"; }
    [ "$ok" -eq 1 ] && pass
done

# ------------------------------------------------------------ stochastic rounding
awk 'BEGIN { for (i = 1; i <= 300; i++) printf "%.6f\n", i * 0.0137 + 0.001 }' >"$tmp/sr_in"
srun() { "$T" encode -f e4m3 "$@" <"$tmp/sr_in" 2>"$tmp/err"; }
srun -r sr --seed 42 >"$tmp/sr1" && srun -r sr --seed 42 >"$tmp/sr2" &&
    srun -r sr --seed 0x2a >"$tmp/sr3" && srun -r sr --seed 43 >"$tmp/sr4" &&
    srun -r sr >"$tmp/sr5" && srun -r sr --seed 0 >"$tmp/sr6" &&
    srun -r rtz >"$tmp/lo" && srun -r rup >"$tmp/hi"
if [ $? -ne 0 ]; then
    fail "encode -r sr failed: $(cat "$tmp/err")"
else
    if cmp -s "$tmp/sr1" "$tmp/sr2"; then pass; else fail "-r sr --seed 42 is not reproducible"; fi
    if cmp -s "$tmp/sr1" "$tmp/sr3"; then pass; else fail "--seed 0x2a differs from --seed 42"; fi
    if cmp -s "$tmp/sr5" "$tmp/sr6"; then pass; else fail "the default seed is not 0"; fi
    if cmp -s "$tmp/sr1" "$tmp/sr4"; then fail "--seed 42 and 43 give the same 300 codes"; else pass; fi
    # Valid: every code is the value rounded down or up (positive inputs).
    n=$(wc -l <"$tmp/sr1")
    bad=$(paste -d ' ' "$tmp/sr1" "$tmp/lo" "$tmp/hi" | awk '$1 != $2 && $1 != $3' | wc -l)
    if [ "$n" -eq 300 ] && [ "$bad" -eq 0 ]; then pass; else fail "-r sr: $n lines, $bad neither rounded down nor up"; fi
    # Both directions occur.
    up=$(paste -d ' ' "$tmp/sr1" "$tmp/lo" | awk '$1 != $2' | wc -l)
    if [ "$up" -gt 0 ] && [ "$up" -lt 300 ]; then pass; else fail "-r sr rounded up $up of 300"; fi
    # Element i uses counter i: a prefix of the input gives a prefix of the
    # output, and blank lines do not shift the counter.
    head -n 100 "$tmp/sr_in" | "$T" encode -f e4m3 -r sr --seed 42 >"$tmp/sr_pre" 2>/dev/null
    if head -n 100 "$tmp/sr1" | cmp -s - "$tmp/sr_pre"; then pass; else fail "-r sr: a prefix of the input changes the output"; fi
    awk '{ print; print "" }' "$tmp/sr_in" | "$T" encode -f e4m3 -r sr --seed 42 >"$tmp/sr_blank" 2>/dev/null
    if cmp -s "$tmp/sr1" "$tmp/sr_blank"; then pass; else fail "-r sr: blank lines change the output"; fi
fi

# ------------------------------------------------------------ bad input
expect_error "bad line named" '1\n2\nxyz\n4\n' 1 "line 3: cannot parse 'xyz'" encode -f e4m3
if [ "$(cat "$tmp/out")" = "$(printf '0x38\n0x40')" ]; then pass; else fail "lines before a bad line: '$(cat "$tmp/out")'"; fi
expect_error "line numbers count blank lines" '1\n\n\n1.5.3\n' 1 "line 4" encode -f e4m3
expect_error "hex wider than binary32" '0x123456789' 1 "line 1" encode -f e4m3
expect_error "binary64 bits without -d" '0x3ff0000000000000' 1 "use -d" encode -f e4m3
expect_error "hex wider than 64 bits" '0x12345678901234567' 1 "line 1" encode -f e4m3 -d
expect_error "bad hex digits" '0x12g4' 1 "line 1" encode -f e4m3
expect_error "0x alone" '1\n0x' 1 "line 2" encode -f e4m3
expect_error "signed hex" '-0x3f800000' 1 "line 1" encode -f e4m3
expect_error "trailing garbage" '1.5abc' 1 "line 1" encode -f e4m3
expect_error "two values on a line" '1 2' 1 "line 1" encode -f e4m3
expect_error "code too wide" '0x7\n0x10' 1 "line 2" decode -f e2m1
expect_error "code too wide 8-bit" '0x100' 1 "line 1" decode -f e4m3
expect_error "code too wide 16-bit" '0x10000' 1 "line 1" decode -f f16
expect_error "bad code" '0x3f\nzz' 1 "line 2: cannot parse 'zz'" decode -f e4m3
expect_error "decimal code" '1.5' 1 "line 1" decode -f e4m3
long=$(awk 'BEGIN { for (i = 0; i < 5000; i++) printf "9"; printf "x" }')
expect_error "very long line" "1\n$long\n" 1 "line 2" encode -f e4m3
printf '1\n2\0\n' | "$T" encode -f e4m3 >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 1 ] && grep -F "line 2" "$tmp/err" >/dev/null; then pass; else fail "NUL byte: exit $rc"; fi
expect_error "unknown format" '' 2 "unknown format 'e9m9'" encode -f e9m9
expect_error "unknown format decode" '' 2 "unknown format" decode -f E4M3
expect_error "unknown mode" '' 2 "unknown rounding mode" encode -f e4m3 -r nearest
expect_error "unknown policy" '' 2 "unknown overflow policy" encode -f e4m3 -o clamp
expect_error "unknown option" '' 2 "unknown option" encode -f e4m3 --bogus
expect_error "missing format" '' 2 "-f FMT" encode
expect_error "missing value" '' 2 "needs a value" encode -f
expect_error "bad seed" '' 2 "--seed" encode -f e4m3 -r sr --seed -1
expect_error "bad --to" '' 2 "--to" decode -f e4m3 --to f16
expect_error "stray argument" '' 2 "unexpected argument" decode -f e4m3 file.txt
expect_error "unknown command" '' 2 "unknown command" frobnicate
expect_error "unknown top-level option" '' 2 "unknown option" --frobnicate
expect_error "help of unknown command" '' 2 "unknown command" help frobnicate
expect_error "demo bad count" '' 2 "--count" demo --count 0

# ------------------------------------------------------------ demo
"$T" demo >"$tmp/demo" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 0 ]; then pass; else fail "demo exited $rc: $(grep -F MISMATCH "$tmp/demo" | head -n 5)"; fi
expect_grep "demo PASS" "$tmp/demo" "self-check: PASS"
expect_grep "demo version" "$tmp/demo" "libtruepoint $version"
expect_grep "demo kernels" "$tmp/demo" "kernels:"
for n in $names; do
    c=$(awk -v n="$n" '$1 == n' "$tmp/demo" | wc -l)
    # once in the format table, once in the self-check table
    if [ "$c" -eq 2 ]; then pass; else fail "demo: format $n appears $c times, expected 2"; fi
done

# ------------------------------------------------------------ quantize / dequantize
# rep N WORD: N copies of WORD separated by blanks.
rep() {
    awk -v n="$1" -v w="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s%s", (i ? " " : ""), w }'
}
# microsoft/microxcaling#4 (formats.md 3.2): amax 960 -> X = 2, 957 -> 448.
expect "quantize mxfp8 clamp" "0x44700000 0x446f4000 $(rep 30 0x3f800000)" \
    "0x80 0x7e 0x7e $(rep 30 0x30)" quantize -f mxfp8_e4m3
# formats.md 3.3: MXFP4 amax 7, FLOOR -> X = 1, 7 -> 6; RCEIL -> X = 2, 3.5 -> 4.
expect "quantize mxfp4 floor" "0x40e00000 $(rep 31 0x00000000)" "0x7f 0x07 $(rep 31 0x00)" \
    quantize -f mxfp4
expect "quantize mxfp4 rceil" "0x40e00000 $(rep 31 0x00000000)" "0x80 0x06 $(rep 31 0x00)" \
    quantize -f mxfp4 --scale-rule rceil
expect "quantize zero block" "0x80000000 $(rep 31 0x0)" "0x00 0x08 $(rep 31 0x00)" \
    quantize -f mxfp4
expect "quantize NaN block" "0x7fc00000 $(rep 31 0x3f800000)" "0xff $(rep 32 0x00) invalid" \
    quantize -f mxfp6_e2m3 --flags
expect "quantize bfp8_16" "$(rep 16 0x3f800000)" "0x7f $(rep 16 0x40)" quantize -f bfp8_16
expect "quantize mxint8 symmetric" "0x3f800000 0xbfffdf3b $(rep 30 0x0)" "0x7f 0x40 0x81 $(rep 30 0x00)" \
    quantize -f mxint8
expect "quantize rtz" "0x3fc00000 0x3f900000 $(rep 30 0x0)" "0x7d 0x07 0x06 $(rep 30 0x00)" \
    quantize -f mxfp4 -r rtz
expect "quantize nvfp4 given scale" "tensor_scale 0x3f800000\n$(rep 16 0x40c00000)" \
    "tensor_scale 0x3f800000\n0x38 $(rep 16 0x07)" quantize -f nvfp4
expect "dequantize scale 0x00" "0x00 0x02 $(rep 31 0x00)" "0x00400000 $(rep 31 0x00000000)" \
    dequantize -f mxfp4
expect "dequantize scale 0xff" "0xff $(rep 32 0x00)" "$(rep 32 0x7fc00000)" dequantize -f mxfp4
expect "dequantize overflow" "0xfe 0x7e $(rep 31 0x00)" "0x7f800000 $(rep 31 0x00000000) inexact,overflow" \
    dequantize -f mxfp8_e4m3 --flags
expect "dequantize f64 exact" "0xfe 0x7e $(rep 31 0x00)" "0x486c000000000000 $(rep 31 0x0000000000000000)" \
    dequantize -f mxfp8_e4m3 --to f64
expect "dequantize mxint8 -2" "0x7f 0x80 $(rep 31 0x00)" "0xc0000000 $(rep 31 0x00000000)" \
    dequantize -f mxint8
expect "dequantize q8_0" "0x3c00 0x7f 0x81 $(rep 30 0x00)" "0x42fe0000 0xc2fe0000 $(rep 30 0x00000000)" \
    dequantize -f ggml_q8_0
# Round trips through both commands, every format name of the issue.
# (values exact in every element format; ggml_q8_0 and nvfp4 scales are not powers of two)
for f in mxfp8_e4m3 mxfp8_e5m2 mxfp6_e2m3 mxfp6_e3m2 mxfp4 mxint8 ggml_mxfp4 bfp8_32; do
    line="0x40c00000 0xc0400000 0x3f000000 $(rep 29 0x3f800000)"
    printf '%s\n' "$line" | "$T" quantize -f "$f" >"$tmp/q" 2>"$tmp/err" &&
        "$T" dequantize -f "$f" <"$tmp/q" >"$tmp/d" 2>>"$tmp/err"
    rc=$?
    if [ "$rc" -eq 0 ] && [ "$(cat "$tmp/d")" = "$line" ]; then pass; else
        fail "round trip $f: exit $rc, got '$(cat "$tmp/d")' $(cat "$tmp/err")"; fi
done
expect "dequantize nvfp4 tensor scale" "tensor_scale 0x3f800000\n0x38 $(rep 16 0x07)" \
    "$(rep 16 0x40c00000)" dequantize -f nvfp4
expect "dequantize nvfp4 scale 2" "tensor_scale 0x40000000\n0x38 $(rep 16 0x0f)" \
    "$(rep 16 0xc1400000)" dequantize -f nvfp4
expect_error "quantize wrong count" "$(rep 31 0x0)" 1 "line 1" quantize -f mxfp4
expect_error "quantize bad value" "$(rep 31 0x0) zz" 1 "line 1" quantize -f mxfp4
expect_error "dequantize code too wide" "0x7f 0x10 $(rep 31 0x0)" 1 "line 1" dequantize -f mxfp4
expect_error "dequantize fp6 code too wide" "0x7f 0x40 $(rep 31 0x0)" 1 "line 1" dequantize -f mxfp6_e2m3
expect_error "quantize unknown format" '' 2 "unknown block format" quantize -f mxfp3
expect_error "quantize unknown rule" '' 2 "unknown scale rule" quantize -f mxfp4 --scale-rule up
expect_error "quantize missing format" '' 2 "-f FMT" quantize
expect_error "dequantize bad --to" '' 2 "--to" dequantize -f mxfp4 --to f16
expect_error "nvfp4 bad tensor scale" "tensor_scale 0x00000000" 1 "tensor_scale" quantize -f nvfp4

# sum (exact accumulation, one rounding)
expect "sum cancel" "0x3f800000\n0x33800000\n0xbf800000" "0x33800000" sum -f f32
expect "sum 1e308+1-1e308" "0x7fe1ccf385ebc8a0\n0x3ff0000000000000\n0xffe1ccf385ebc8a0" \
    "0x3ff0000000000000" sum -f f64 --out f64
expect "sum all -0" "0x8000\n0x8000" "0x8000" sum -f f16 --out f16
expect "sum cancel rdn" "0x3c00\n0xbc00" "0x8000" sum -f f16 --out f16 -r rdn
expect "sum empty" "" "0x00000000" sum -f e4m3
expect "sum e4m3 sat" "0x7e\n0x7e\n0x01" "0x7e inexact,overflow" sum -f e4m3 --out e4m3 --flags
expect "sum e4m3 nonsat" "0x7e\n0x7e" "0x7f inexact,overflow,invalid" sum -f e4m3 --out e4m3 -o nonsat --flags
expect "sum inf-inf" "0x7c00\n0xfc00" "0x7fc00000 invalid" sum -f f16 --flags
expect "sum tie rtz" "0x3f800000\n0x33800000" "0x3c00" sum -f f32 --out f16 -r rtz
expect_error "sum code too wide" "0x100" 1 "line 1" sum -f e4m3
expect_error "sum bad code" "0x7e\nzz" 1 "line 2" sum -f e4m3
expect_error "sum missing format" "" 2 "-f FMT" sum
expect_error "sum bad out" "" 2 "f12" sum -f e4m3 --out f12

# dot (exact dot products, one rounding)
expect "dot e4m3" "0x38 0x40\n0x40 0x38\n0x01 0x81" "0x407ffff0 none" dot -a e4m3 -b e4m3 --flags
expect "dot mixed f32" "0x38 0x3f800000" "0x3ff0000000000000" dot -a e4m3 -b f32 --out f64
expect "dot empty" "" "0x00000000" dot -a e4m3 -b e5m2
expect "dot all -0" "0x80 0x38\n0x38 0x80" "0x8000" dot -a e4m3 -b e4m3 --out f16
expect "dot cancel rdn" "0x38 0x38\n0xb8 0x38" "0x80000000" dot -a e4m3 -b e4m3 -r rdn
expect "dot 0 x inf" "0x00 0x7c00" "0x7fc00000 invalid" dot -a e4m3 -b f16 --flags
expect "dot e4m3 sat" "0x7e 0x38\n0x7e 0x38" "0x7e inexact,overflow" dot -a e4m3 -b e4m3 --out e4m3 --flags
expect "dot tie rne" "0x3f800000 0x3f800000\n0x33800000 0x3f800000" "0x3c00" dot -a f32 -b f32 --out f16
expect "dot mxfp4 x mxfp8 zero" "0x7f 0x00 0x01 0x02 0x03 0x04 0x05 0x06 0x07 0x08 0x09 0x0a 0x0b 0x0c 0x0d 0x0e 0x0f 0x00 0x01 0x02 0x03 0x04 0x05 0x06 0x07 0x08 0x09 0x0a 0x0b 0x0c 0x0d 0x0e 0x0f\n0x7f 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38" "0x00000000" dot -a mxfp4 -b mxfp8_e4m3
expect "dot mxfp4 x mxfp8 scale" "0x00 0x02 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00\n0x00 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38" "0x3010000000000000" dot -a mxfp4 -b mxfp8_e4m3 --out f64
expect "dot nan scale" "0xff 0x02 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00\n0x7f 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38 0x38" "0x7fc00000" dot -a mxfp4 -b mxfp8_e4m3
expect_error "dot missing b" "" 2 "-b FMT" dot -a e4m3
expect_error "dot one code" "0x38" 1 "line 1" dot -a e4m3 -b e4m3
expect_error "dot code too wide" "0x38 0x40" 1 "line 1" dot -a e4m3 -b e2m1
expect_error "dot block sizes" "" 2 "block size" dot -a mxfp4 -b nvfp4
expect_error "dot lone block" "0x7f 0x00 0x01 0x02 0x03 0x04 0x05 0x06 0x07 0x08 0x09 0x0a 0x0b 0x0c 0x0d 0x0e 0x0f 0x00 0x01 0x02 0x03 0x04 0x05 0x06 0x07 0x08 0x09 0x0a 0x0b 0x0c 0x0d 0x0e 0x0f" 1 "B block" dot -a mxfp4 -b mxfp8_e4m3

echo "check_cli: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ] || exit 1
exit 0
