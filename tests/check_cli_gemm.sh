#!/bin/sh
# check_cli_gemm.sh -- exercises `truepoint gemm`: small products whose exact
# answer is derived by hand below (small integers and powers of two), one
# per operand family (f32, bf16, e4m3, mxfp4, mxfp8_e4m3, nvfp4), the
# quantisation of A and B (RNE ties, saturation, scale rules, the NVFP4
# tensor scale), the output formats and rounding modes, threads, fast mode,
# and every error path (exit status and message).
#
# Run by `make check` with top_srcdir and top_builddir set; by hand:
#   top_srcdir=/path/to/src top_builddir=/path/to/build sh tests/check_cli_gemm.sh
# Exit status 0 if every check passed, 1 otherwise.

top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
T=$top_builddir/truepoint

if [ ! -x "$T" ]; then
    echo "check_cli_gemm: $T not found (build it first)"
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check_cli_gemm.XXXXXX") || exit 1
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
        fail "$name: truepoint $* printed '$(tr '\n' '|' <"$tmp/out")', expected '$(tr '\n' '|' <"$tmp/want")'"
    else
        pass
    fi
}

# expect_error NAME INPUT STATUS PATTERN ARGS...: exit status STATUS, stderr
# containing PATTERN (a fixed string) and nothing on stdout.
expect_error() {
    name=$1 input=$2 want_rc=$3 pattern=$4
    shift 4
    run "$input" "$@"
    if [ "$rc" -ne "$want_rc" ]; then
        fail "$name: truepoint $* exited $rc, expected $want_rc (stderr: $(cat "$tmp/err"))"
    elif ! grep -F -e "$pattern" "$tmp/err" >/dev/null; then
        fail "$name: stderr of truepoint $* lacks '$pattern': $(cat "$tmp/err")"
    elif [ -s "$tmp/out" ]; then
        fail "$name: truepoint $* wrote to stdout: $(cat "$tmp/out")"
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

# rep COUNT WORD: COUNT copies of WORD separated by blanks (no newline).
rep() {
    r_i=0 r_s=
    while [ "$r_i" -lt "$1" ]; do
        r_s="$r_s${r_s:+ }$2"
        r_i=$((r_i + 1))
    done
    printf '%s' "$r_s"
}

# rows COUNT LINE: COUNT lines equal to LINE, each ended by \n.
rows() {
    r_j=0 r_t=
    while [ "$r_j" -lt "$1" ]; do
        r_t="$r_t$2\n"
        r_j=$((r_j + 1))
    done
    printf '%s' "$r_t"
}

# binary32 bits of the values used below
z=0x00000000       # 0
half=0x3f000000    # 0.5
one=0x3f800000     # 1
two=0x40000000     # 2
three=0x40400000   # 3
four=0x40800000    # 4
five=0x40a00000    # 5
six=0x40c00000     # 6
seven=0x40e00000   # 7
m1=0xbf800000      # -1
m7=0xc0e00000      # -7

# ------------------------------------------------------------ help
run '' gemm --help
if [ "$rc" -eq 0 ] && head -n 1 "$tmp/out" | grep '^Usage: truepoint gemm' >/dev/null; then
    pass
else
    fail "gemm --help: exit $rc, first line '$(head -n 1 "$tmp/out")'"
fi
cp "$tmp/out" "$tmp/help"
for opt in -a -b --out -r -o --seed --scale-rule --threads --mode exact fast "M N K" \
    rne rna rtz rup rdn rto sr sat nonsat floor rceil ceil even; do
    expect_grep "gemm --help lists $opt" "$tmp/help" "$opt"
done
run '' help gemm
if [ "$rc" -eq 0 ] && cmp -s "$tmp/out" "$tmp/help"; then pass; else fail "help gemm differs from gemm --help"; fi
run '' --help
expect_grep "--help lists gemm" "$tmp/out" "gemm"

# ------------------------------------------------------------ element formats
# A = [1 2 3; 4 5 6], B = [1 2; 3 4; 5 6]:
#   C = [1+6+15 2+8+18; 4+15+30 8+20+36] = [22 28; 49 64]
# binary32: 22 = 1.375*2^4 -> 0x41b00000, 28 = 1.75*2^4 -> 0x41e00000,
#           49 = 1.53125*2^5 -> 0x42440000, 64 = 2^6 -> 0x42800000.
small="2 2 3\n$one $two $three\n$four $five $six\n$one $two\n$three $four\n$five $six\n"
c32="0x41b00000 0x41e00000\n0x42440000 0x42800000"
expect "f32 x f32" "$small" "$c32" gemm -a f32 -b f32
expect "bf16 x bf16" "$small" "$c32" gemm -a bf16 -b bf16
expect "e4m3 x e4m3" "$small" "$c32" gemm -a e4m3 -b e4m3 --out f32
expect "e4m3 x bf16" "$small" "$c32" gemm -a e4m3 -b bf16
expect "e5m2 x ue4m3" "$small" "$c32" gemm -a e5m2 -b ue4m3
expect "0x prefix optional" "2 2 3\n3f800000 40000000 40400000\n40800000 40a00000 40c00000\n3f800000 40000000\n40400000 40800000\n40a00000 40c00000\n" "$c32" gemm -a f32 -b f32
expect "blank lines, CRLF, blanks" "\n 2  2 3 \r\n$one $two\t$three\n\n$four $five $six\r\n$one $two\n$three $four\n$five $six\n\n" "$c32" gemm -a f32 -b f32
# bf16 output: the top 16 bits of the binary32 codes (all exact).
expect "--out bf16" "$small" "0x41b0 0x41e0\n0x4244 0x4280" gemm -a f32 -b f32 --out bf16
# e4m3 output (bias 7, 3 fraction bits): 22 = 1.375*2^4 -> 0 1011 011 = 0x5b;
# 28 = 1.75*2^4 -> 0x5e; 49 lies between 48 = 1.5*2^5 and 52 = 1.625*2^5, nearer
# 48 -> 0 1100 100 = 0x64 (rup: 52 -> 0x65); 64 = 2^6 -> 0 1101 000 = 0x68.
expect "--out e4m3" "$small" "0x5b 0x5e\n0x64 0x68" gemm -a f32 -b f32 --out e4m3
expect "--out e4m3 -r rup" "$small" "0x5b 0x5e\n0x65 0x68" gemm -a f32 -b f32 --out e4m3 -r rup
expect "--out f16" "$small" "0x4d80 0x4f00\n0x5220 0x5400" gemm -a f32 -b f32 --out f16
# mxint8 names the element format (int8 x 2^-6, as in dot), so K = 2 is
# fine: 1*1 + 0.5*1 = 1.5 = 0x3fc00000.
expect "mxint8 is an element format" "1 1 2\n$one $half\n$one\n$one\n" "0x3fc00000" gemm -a mxint8 -b mxint8
# 1x1x1: 3*7 = 21 = 1.3125*2^4 = 0x41a80000
expect "1x1x1" "1 1 1\n$three\n$seven\n" "0x41a80000" gemm -a f32 -b f32

# Quantisation of the inputs with RNE: bf16 of 1 + 2^-8 (0x3f808000) is a
# tie between 1 and 1 + 2^-7 -> 1 (even); times 3 -> 3 = 0x40400000 (the
# unquantised product would be 0x40404000).  1 + 3*2^-8 (0x3f818000) ties to
# 1 + 2^-6 (even) -> 0x3f820000.
expect "bf16 input tie to even" "1 1 1\n0x3f808000\n$three\n" "0x40400000" gemm -a bf16 -b f32
expect "bf16 input tie up" "1 1 1\n0x3f818000\n$one\n" "0x3f820000" gemm -a bf16 -b bf16
# e4m3: 17 (0x41880000) ties between 16 and 18 -> 16 = 0x41800000;
# 1000 (0x447a0000) saturates (e4m3's default policy) to 448 = 0x43e00000.
expect "e4m3 input tie" "1 1 1\n0x41880000\n$one\n" "0x41800000" gemm -a e4m3 -b e4m3
expect "e4m3 input saturates" "1 1 1\n0x447a0000\n$one\n" "0x43e00000" gemm -a e4m3 -b f32

# ------------------------------------------------------------ exactness and rounding
# 1 + 2^-24 + 2^-47: A = [1 2^-24 2^-47], B = ones.  The exact sum lies above
# the tie 1 + 2^-24, so it rounds (rne) to 1 + 2^-23 = 0x3f800001.
exact3="1 1 3\n$one 0x33800000 0x28000000\n$one\n$one\n$one\n"
expect "exact sum rounds once" "$exact3" "0x3f800001" gemm -a f32 -b f32
expect "exact sum rtz" "$exact3" "0x3f800000" gemm -a f32 -b f32 -r rtz
# --mode fast (the documented order): lanes 0, 1, 2 hold 1, 2^-24, 2^-47;
# lane 0 += lane 2 gives 1 (2^-47 lost), then lane 0 += lane 1 is the tie
# 1 + 2^-24 -> 1 = 0x3f800000.
expect "--mode fast" "$exact3" "0x3f800000" gemm -a f32 -b f32 --mode fast
expect "--mode exact" "$exact3" "0x3f800001" gemm -a f32 -b f32 --mode exact
expect "--mode fast small" "$small" "$c32" gemm -a f32 -b f32 --mode fast
# bf16 output of 1 + 2^-8 + 2^-30: above the tie 1 + 2^-8 -> 1 + 2^-7 = 0x3f81;
# rtz -> 0x3f80.
bf3="1 1 3\n$one 0x3b800000 0x30800000\n$one\n$one\n$one\n"
expect "bf16 out rounds once" "$bf3" "0x3f81" gemm -a f32 -b f32 --out bf16
expect "bf16 out rtz" "$bf3" "0x3f80" gemm -a f32 -b f32 --out bf16 -r rtz

# Rounding modes on 7*7 + 1*1 = 50, halfway between the e4m3 values 48 =
# 1.5*2^5 (0x64, even) and 52 = 1.625*2^5 (0x65, odd); and on -50.
p50="1 1 2\n$seven $one\n$seven\n$one\n"
n50="1 1 2\n$m7 $m1\n$seven\n$one\n"
for case in rne:0x64:0xe4 rna:0x65:0xe5 rtz:0x64:0xe4 rup:0x65:0xe4 rdn:0x64:0xe5 rto:0x65:0xe5; do
    mode=${case%%:*}
    rest=${case#*:}
    expect "-r $mode 50" "$p50" "${rest%%:*}" gemm -a f32 -b f32 --out e4m3 -r "$mode"
    expect "-r $mode -50" "$n50" "${rest#*:}" gemm -a f32 -b f32 --out e4m3 --round "$mode"
done
# -r sr: 48 or 52, the same for the same seed.
run "$p50" gemm -a f32 -b f32 --out e4m3 -r sr --seed 7
cp "$tmp/out" "$tmp/sr1"
case "$rc:$(cat "$tmp/out")" in
0:0x64 | 0:0x65) pass ;;
*) fail "-r sr: exit $rc, output '$(cat "$tmp/out")'" ;;
esac
run "$p50" gemm -a f32 -b f32 --out e4m3 -r sr --seed 7
if [ "$rc" -eq 0 ] && cmp -s "$tmp/out" "$tmp/sr1"; then pass; else fail "-r sr is not reproducible"; fi

# Overflow of the output: 2^17 (0x48000000) is beyond e5m2's 57344: sat
# (e5m2's default) gives 0x7b, nonsat +Inf = 0x7c.
big="1 1 1\n0x48000000\n$one\n"
expect "e5m2 out default sat" "$big" "0x7b" gemm -a f32 -b f32 --out e5m2
expect "e5m2 out -o nonsat" "$big" "0x7c" gemm -a f32 -b f32 --out e5m2 -o nonsat
expect "e5m2 out -o sat" "$big" "0x7b" gemm -a f32 -b f32 --out e5m2 --overflow sat

# ------------------------------------------------------------ block formats
# M = N = 2, K = 32.  A row 0: 32 ones; row 1: 2, 30 zeros, 3.  B column 0:
# 32 halves; column 1: 6 then 31 zeros.  Every value is exact after
# quantisation (mxfp4, floor rule: amax 1 -> scale 2^-2, elements 4; amax 3
# -> 2^-1, elements 4 and 6; amax 0.5 -> 2^-3, elements 4; amax 6 -> 2^0;
# mxfp8_e4m3 alike with emax 8).  C = [32*0.5 6; 2*0.5+3*0.5 2*6]
# = [16 6; 2.5 12] = [0x41800000 0x40c00000; 0x40200000 0x41400000].
blk="2 2 32\n$(rep 32 $one)\n$two $(rep 30 $z) $three\n$half $six\n$(rows 31 "$half $z")"
cblk="0x41800000 0x40c00000\n0x40200000 0x41400000"
expect "mxfp4 x mxfp4" "$blk" "$cblk" gemm -a mxfp4 -b mxfp4
expect "mxfp8_e4m3 x mxfp8_e4m3" "$blk" "$cblk" gemm -a mxfp8_e4m3 -b mxfp8_e4m3
expect "mxfp4 x mxfp8_e4m3" "$blk" "$cblk" gemm -a mxfp4 -b mxfp8_e4m3
expect "mxfp4 x f32" "$blk" "$cblk" gemm -a mxfp4 -b f32
expect "e4m3 x mxfp4" "$blk" "$cblk" gemm -a e4m3 -b mxfp4
expect "mxfp4 --mode fast" "$blk" "$cblk" gemm -a mxfp4 -b mxfp4 --mode fast
expect "mxfp4 --out bf16" "$blk" "0x4180 0x40c0\n0x4020 0x4140" gemm -a mxfp4 -b mxfp4 --out bf16
# mxfp4 element tie: A = [5 6 0...] (amax 6, scale 1): 5 ties between the
# e2m1 values 4 and 6 -> 4 (even); B = [1 1 0...] -> 4 + 6 = 10 = 0x41200000.
ones2="$(rows 2 "$one")$(rows 30 "$z")"
expect "mxfp4 element tie" "1 1 32\n$five $six $(rep 30 $z)\n$ones2" "0x41200000" gemm -a mxfp4 -b mxfp4
# Scale rules: A = [0.5 6 0...].  floor: e = 2 - 2 = 0, 0.5 and 6 exact ->
# 6.5 = 0x40d00000.  ceil: e = ceil(log2 6) - 2 = 1, 0.5/2 = 0.25 ties
# between 0 and 0.5 -> 0, 6/2 = 3 -> 6 = 0x40c00000.
sr_in="1 1 32\n$half $six $(rep 30 $z)\n$ones2"
expect "--scale-rule floor" "$sr_in" "0x40d00000" gemm -a mxfp4 -b mxfp4 --scale-rule floor
expect "--scale-rule default" "$sr_in" "0x40d00000" gemm -a mxfp4 -b mxfp4
expect "--scale-rule ceil" "$sr_in" "0x40c00000" gemm -a mxfp4 -b mxfp4 --scale-rule ceil
# NVFP4 (TE recipe), M = 1, N = 2, K = 16.  Both operands have amax 5376 =
# 2688*2, so the tensor scale is 1/(2688/5376) = 2 and every block with amax
# 5376 gets the UE4M3 scale 5376*(0.5*fl(1/6)) -> 448; elements are
# multiples v*896 of the e2m1 values v (5376 = 6*896, 3584 = 4*896, 1792 =
# 2*896, 896 = 1*896), all exact.  (Without the tensor scale, 5376 would
# come back as 2688.)  A = [5376 896 1792 3584 0...], B column 0 = [896 5376
# 0...], column 1 = [0 0 0 5376 0...]: C = [2*5376*896 3584*5376] =
# [147*2^16 147*2^17] = [0x4b130000 0x4b930000].
k5376=0x45a80000
k896=0x44600000
k1792=0x44e00000
k3584=0x45600000
nv="1 2 16\n$k5376 $k896 $k1792 $k3584 $(rep 12 $z)\n$k896 $z\n$k5376 $z\n$z $z\n$z $k5376\n$(rows 12 "$z $z")"
expect "nvfp4 x nvfp4" "$nv" "0x4b130000 0x4b930000" gemm -a nvfp4 -b nvfp4
expect "nvfp4 x f32" "$nv" "0x4b130000 0x4b930000" gemm -a nvfp4 -b f32

# ------------------------------------------------------------ threads
# A 16 x 16 x 64 product of pseudo-random binary32 values (a fixed awk seed):
# the bits must not depend on --threads.
awk 'BEGIN {
    srand(12345);
    print "16 16 64";
    for (r = 0; r < 16 + 64; r++) {
        line = "";
        for (c = 0; c < (r < 16 ? 64 : 16); c++) {
            v = (118 + int(rand() * 16)) * 8388608 + int(rand() * 8388608);
            h = sprintf("%08x", v);
            if (rand() < 0.5)
                h = (substr(h, 1, 1) == "3" ? "b" : "c") substr(h, 2);
            line = line (c ? " " : "") "0x" h;
        }
        print line;
    }
}' >"$tmp/rand"
for fmts in "f32 f32 f32" "mxfp8_e4m3 mxfp4 bf16" "e4m3 mxfp8_e4m3 e4m3" "nvfp4 nvfp4 f32"; do
    set -- $fmts
    ref=
    for th in 1 2 0; do
        "$T" gemm -a "$1" -b "$2" --out "$3" --threads "$th" <"$tmp/rand" >"$tmp/th$th" 2>"$tmp/err"
        trc=$?
        if [ "$trc" -ne 0 ]; then
            fail "threads $fmts --threads $th: exit $trc: $(cat "$tmp/err")"
        elif [ "$(wc -l <"$tmp/th$th")" -ne 16 ] || [ "$(head -n 1 "$tmp/th$th" | wc -w)" -ne 16 ]; then
            fail "threads $fmts --threads $th: output is not 16 lines of 16 codes"
        elif [ -n "$ref" ] && ! cmp -s "$tmp/th$th" "$ref"; then
            fail "threads $fmts: --threads $th differs from --threads 1"
        else
            pass
        fi
        [ -z "$ref" ] && ref=$tmp/th$th
    done
done
"$T" gemm -a f32 -b f32 --mode fast --threads 1 <"$tmp/rand" >"$tmp/fast1" 2>"$tmp/err" &&
    "$T" gemm -a f32 -b f32 --mode fast --threads 2 <"$tmp/rand" >"$tmp/fast2" 2>>"$tmp/err" &&
    cmp -s "$tmp/fast1" "$tmp/fast2"
if [ $? -eq 0 ]; then pass; else fail "--mode fast: --threads 1 and 2 differ or fail: $(cat "$tmp/err")"; fi

# ------------------------------------------------------------ usage errors (exit 2)
expect_error "missing -b" "$small" 2 "both input formats are required" gemm -a f32
expect_error "missing -a" "$small" 2 "both input formats are required" gemm -b f32
expect_error "unknown -a" "$small" 2 "unknown format 'e9m9'" gemm -a e9m9 -b f32
expect_error "unknown -b" "$small" 2 "unknown format 'mxfp5'" gemm -a f32 -b mxfp5
expect_error "unknown --out" "$small" 2 "unknown format 'f33'" gemm -a f32 -b f32 --out f33
expect_error "block --out" "$small" 2 "unknown format 'mxfp4'" gemm -a f32 -b f32 --out mxfp4
expect_error "--out f64" "$small" 2 "at most 32 bits" gemm -a f32 -b f32 --out f64
expect_error "-a f64" "$small" 2 "f64 operands are not supported" gemm -a f64 -b f32
expect_error "-b f64" "$small" 2 "f64 operands are not supported" gemm -a nvfp4 -b f64
expect_error "bad -r" "$small" 2 "unknown rounding mode 'near'" gemm -a f32 -b f32 -r near
expect_error "bad -o" "$small" 2 "unknown overflow policy 'clamp'" gemm -a f32 -b f32 -o clamp
expect_error "bad --scale-rule" "$small" 2 "unknown scale rule 'round'" gemm -a mxfp4 -b mxfp4 --scale-rule round
expect_error "bad --mode" "$small" 2 "unknown mode 'slow'" gemm -a f32 -b f32 --mode slow
expect_error "--threads too many" "$small" 2 "--threads takes 0" gemm -a f32 -b f32 --threads 5000
expect_error "--threads not a number" "$small" 2 "--threads needs an integer" gemm -a f32 -b f32 --threads two
expect_error "--seed not a number" "$small" 2 "--seed needs an integer" gemm -a f32 -b f32 --seed x
expect_error "missing value" "$small" 2 "needs a value" gemm -a f32 -b
expect_error "unknown option" "$small" 2 "unknown option '--flags'" gemm -a f32 -b f32 --flags
expect_error "stray argument" "$small" 2 "unexpected argument 'file.txt'" gemm -a f32 -b f32 file.txt

# ------------------------------------------------------------ data errors (exit 1)
expect_error "empty input" "" 1 "the input is empty" gemm -a f32 -b f32
expect_error "blank input" "\n  \n" 1 "the input is empty" gemm -a f32 -b f32
expect_error "sizes not numbers" "2 x 3\n" 1 "line 1: expected the sizes 'M N K'" gemm -a f32 -b f32
expect_error "two sizes" "2 3\n" 1 "line 1: expected the sizes 'M N K'" gemm -a f32 -b f32
expect_error "four sizes" "2 3 4 5\n" 1 "line 1: expected the sizes 'M N K'" gemm -a f32 -b f32
expect_error "negative size" "-2 3 4\n" 1 "line 1: expected the sizes 'M N K'" gemm -a f32 -b f32
expect_error "hex size" "0x2 3 4\n" 1 "line 1: expected the sizes 'M N K'" gemm -a f32 -b f32
expect_error "zero M" "0 2 3\n" 1 "line 1: M, N and K must be at least 1" gemm -a f32 -b f32
expect_error "zero K" "2 2 0\n" 1 "line 1: M, N and K must be at least 1" gemm -a f32 -b f32
expect_error "huge size" "99999999999999999999999 1 1\n" 1 "line 1: a size is larger than 16777216" gemm -a f32 -b f32
expect_error "too many values" "5000 5000 5000\n" 1 "line 1: M*K, K*N and M*N must each be at most" gemm -a f32 -b f32
expect_error "M*N too large" "8192 8192 1\n" 1 "line 1: M*K, K*N and M*N must each be at most" gemm -a f32 -b f32
expect_error "K not a block multiple (a)" "$small" 1 "line 1: K = 3 is not a multiple of 32, the block size of mxfp4 (-a)" gemm -a mxfp4 -b f32
expect_error "K not a block multiple (b)" "1 1 24\n" 1 "line 1: K = 24 is not a multiple of 16, the block size of bfp8_16 (-b)" gemm -a f32 -b bfp8_16
expect_error "K nvfp4 multiple" "1 1 8\n" 1 "K = 8 is not a multiple of 16, the block size of nvfp4 (-b)" gemm -a e4m3 -b nvfp4
expect_error "short row of A" "2 2 3\n$one $two\n" 1 "line 2: a row of A has 3 values (K), not 2" gemm -a f32 -b f32
expect_error "long row of A" "2 2 3\n$one $two $three $four\n" 1 "line 2: too many values (a row of A has 3)" gemm -a f32 -b f32
expect_error "short row of B" "2 2 3\n$one $two $three\n$four $five $six\n$one\n" 1 "line 4: a row of B has 2 values (N), not 1" gemm -a f32 -b f32
expect_error "long row of B" "2 2 3\n$one $two $three\n$four $five $six\n$one $two $three\n" 1 "line 4: too many values (a row of B has 2)" gemm -a f32 -b f32
expect_error "bad value" "2 2 3\n$one $two $three\n$four zz $six\n" 1 "line 3: cannot parse 'zz' as hex" gemm -a f32 -b f32
expect_error "decimal value" "1 1 1\n1.5\n$one\n" 1 "line 2: cannot parse '1.5' as hex" gemm -a f32 -b f32
expect_error "value too wide" "1 1 2\n$one 0x100000000\n" 1 "line 2: value 2 is not binary32 hex bits" gemm -a f32 -b f32
expect_error "A ends early" "2 2 3\n$one $two $three\n" 1 "the input ends after 1 of the 2 rows of A" gemm -a f32 -b f32
expect_error "B missing" "2 2 3\n$one $two $three\n$four $five $six\n" 1 "the input ends after 0 of the 3 rows of B" gemm -a f32 -b f32
expect_error "B ends early" "2 2 3\n$one $two $three\n$four $five $six\n$one $two\n$three $four\n" 1 "the input ends after 2 of the 3 rows of B" gemm -a f32 -b f32
expect_error "extra line" "${small}$one $two\n" 1 "line 7: extra input after the 3 rows of B" gemm -a f32 -b f32
expect_error "extra line after blanks" "${small}\n\n0x0\n" 1 "line 9: extra input after the 3 rows of B" gemm -a f32 -b f32
expect_error "line numbers count blank lines" "\n2 2 3\n\n$one $two\n" 1 "line 4: a row of A has 3 values (K), not 2" gemm -a f32 -b f32

echo "check_cli_gemm: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ] || exit 1
exit 0
