#!/bin/sh
# check_cli_accuracy.sh -- exercises `truepoint accuracy`: a --quick sweep
# with a fixed seed (the CSV header, the row count, the exact accumulator
# at 0 accumulation error and 0% not correctly rounded, reproducibility),
# the tensors of tests/data/accuracy whose dot products are derived by hand
# below (.npy little- and big-endian, float16, Fortran order, safetensors
# BF16/F16/F32), every malformed tensor file (exit 1, a message naming the
# problem, no crash), output-directory handling, the no-gnuplot path, and
# usage errors.
#
# Run by `make check` with top_srcdir and top_builddir set; by hand:
#   top_srcdir=/path/to/src top_builddir=/path/to/build sh tests/check_cli_accuracy.sh
# Exit status 0 if every check passed, 1 otherwise.

top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
T=$top_builddir/truepoint
D=$top_srcdir/tests/data/accuracy

if [ ! -x "$T" ]; then
    echo "check_cli_accuracy: $T not found (build it first)"
    exit 1
fi
case $T in /*) ;; *) T=$(pwd)/$T ;; esac
case $D in /*) ;; *) D=$(pwd)/$D ;; esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check_cli_accuracy.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

npass=0
nfail=0
pass() { npass=$((npass + 1)); }
fail() {
    nfail=$((nfail + 1))
    printf 'FAIL: %s\n' "$*"
}

# run ARGS...: sets $rc, stdout in $tmp/out, stderr in $tmp/err.
run() {
    "$T" accuracy "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    rc=$?
}

# expect_error NAME STATUS PATTERN ARGS...: exit STATUS, PATTERN (fixed
# string) in stderr, and no crash (a status above 2 would be one).
expect_error() {
    name=$1 want=$2 pat=$3
    shift 3
    run "$@"
    if [ "$rc" -ne "$want" ]; then
        fail "$name: exited $rc, expected $want: $(head -c 300 "$tmp/err")"
    elif ! grep -qF -- "$pat" "$tmp/err"; then
        fail "$name: stderr lacks '$pat': $(head -c 300 "$tmp/err")"
    else
        pass
    fi
}

# field FILE ROW COL: column COL of line ROW (1-based) of a CSV file.
field() {
    sed -n "$2p" "$1" | cut -d, -f"$3"
}

# --------------------------------------------------------------- quick sweep
header='study,a,b,dist,k,acc,out,samples,tot_ulp_mean,tot_ulp_p50,tot_ulp_p90,tot_ulp_p99,tot_ulp_max,rel_mean,rel_p50,rel_p99,rel_max,quant_ulp_mean,quant_ulp_p99,quant_ulp_max,acc_ulp_mean,acc_ulp_p99,acc_ulp_max,not_cr_pct'

run --quick --seed 5 --samples 6 --a bf16,e4m3,mxfp8_e4m3,nvfp4 --b bf16,mxfp4 \
    --dist normal,laplace,outlier-channels,llm --k 32,64
if [ "$rc" -ne 0 ]; then
    fail "quick sweep exited $rc: $(head -c 300 "$tmp/err")"
else
    pass
    cp "$tmp/out" "$tmp/quick.csv"
    if [ "$(head -n 1 "$tmp/quick.csv")" = "$header" ]; then pass; else
        fail "CSV header: $(head -n 1 "$tmp/quick.csv")"
    fi
    # 4 A formats x 2 B formats x 4 distributions x 2 lengths x 7 accumulators
    n=$(($(wc -l <"$tmp/quick.csv") - 1))
    if [ "$n" -eq 448 ]; then pass; else fail "quick sweep: $n rows, expected 448"; fi
    # Every row used the 6 samples.
    bad=$(awk -F, 'NR > 1 && $8 != 6' "$tmp/quick.csv" | wc -l)
    if [ "$bad" -eq 0 ]; then pass; else fail "quick sweep: $bad rows without 6 samples"; fi
    # The exact accumulator: no accumulation error, every output correctly
    # rounded (the library's dot product against the reference sum of the
    # exact products of the dequantised values).
    nexact=$(awk -F, 'NR > 1 && $6 == "exact"' "$tmp/quick.csv" | wc -l)
    bad=$(awk -F, 'NR > 1 && $6 == "exact" && ($21 != 0 || $22 != 0 || $23 != 0 || $24 != 0)' \
        "$tmp/quick.csv")
    if [ "$nexact" -eq 64 ] && [ -z "$bad" ]; then pass; else
        fail "exact rows ($nexact of 64) with an error: $bad"
    fi
    # The quantisation error does not depend on the accumulator.
    bad=$(awk -F, 'NR > 1 { key = $2 "," $3 "," $4 "," $5; q = $18 "," $19 "," $20;
        if (key in seen && seen[key] != q) print key; seen[key] = q }' "$tmp/quick.csv")
    if [ -z "$bad" ]; then pass; else fail "quantisation error varies with the accumulator: $bad"; fi
fi

# The same seed gives the same bytes; another seed other numbers.
run --quick --seed 5 --samples 6 --a bf16,e4m3,mxfp8_e4m3,nvfp4 --b bf16,mxfp4 \
    --dist normal,laplace,outlier-channels,llm --k 32,64
if cmp -s "$tmp/out" "$tmp/quick.csv"; then pass; else fail "the same seed gave other output"; fi
run --quick --seed 6 --samples 6 --a bf16,e4m3,mxfp8_e4m3,nvfp4 --b bf16,mxfp4 \
    --dist normal,laplace,outlier-channels,llm --k 32,64
if cmp -s "$tmp/out" "$tmp/quick.csv"; then fail "another seed gave the same output"; else pass; fi

# f32 storage: no quantisation error; the exact accumulator's total error is
# then at most half an ulp.
run --quick --seed 3 --a f32 --b f32 --acc exact,f32seq --k 16,256
bad=$(awk -F, 'NR > 1 && ($18 != 0 || $20 != 0 || ($6 == "exact" && $13 > 0.5))' "$tmp/out")
if [ "$rc" -eq 0 ] && [ -z "$bad" ]; then pass; else fail "f32 storage: rc $rc, rows $bad"; fi

# A per-format scale rule (FMT@RULE) is the same as --scale-rule for that
# format; a rule on an element format is a usage error.
run --quick --seed 4 --b mxfp4@ceil,mxfp4 --scale-rule ceil --k 64 --acc exact,f32seq
a=$(awk -F, '$3 == "mxfp4@ceil"' "$tmp/out" | cut -d, -f4-6,8-)
b=$(awk -F, '$3 == "mxfp4"' "$tmp/out" | cut -d, -f4-6,8-)
if [ "$rc" -eq 0 ] && [ -n "$a" ] && [ "$a" = "$b" ]; then pass; else
    fail "mxfp4@ceil vs --scale-rule ceil: rc $rc, '$a' vs '$b'"
fi
run --quick --seed 4 --b mxfp4@floor,mxfp4@rceil --k 64 --acc exact
if [ "$rc" -eq 0 ] && [ "$(wc -l <"$tmp/out")" -eq 3 ]; then pass; else fail "two scale rules: rc $rc"; fi
expect_error "rule on an element format" 2 "a scale rule goes with a block format only" --a bf16@rceil
expect_error "unknown rule" 2 "unknown scale rule 'x'" --a mxfp4@x

# K not a multiple of a block size: skipped with a note.
run --quick --a mxfp4 --b bf16 --k 16,32 --acc exact
n=$(($(wc -l <"$tmp/out") - 1))
if [ "$rc" -eq 0 ] && [ "$n" -eq 1 ] && grep -qF "k=16 skipped for mxfp4" "$tmp/err"; then pass; else
    fail "block-size skip: rc $rc, $n rows, stderr $(cat "$tmp/err")"
fi

# --------------------------------------------------------------- real tensors
# a = (2^24, 1, -2^24, 1), b = (1, 1, 1, 1): the exact dot product is 2.
# binary32 in order: 2^24 + 1 is a tie that rounds to 2^24 (even), then 0,
# then 1, so f32seq gives 1; the pairs (2^24 + 1) + (-2^24 + 1) round to
# 2^24 and -(2^24 - 1), so f32pair gives 1; f32blk32 sums the one block of 4
# exactly: 2.
want_hand='accuracy,f32,f32,tensor,4,0,exact,f32,2,2,2
accuracy,f32,f32,tensor,4,0,f32seq,f32,1,2,2
accuracy,f32,f32,tensor,4,0,f32pair,f32,1,2,2
accuracy,f32,f32,tensor,4,0,f32blk32,f32,2,2,2'
for a in a_f32.npy a_f32_be.npy; do
    run --a f32 --b f32 --acc exact,f32seq,f32pair,f32blk32 --per-sample \
        --tensor-a "$D/$a" --tensor-b "$D/b_f32.npy"
    got=$(tail -n +2 "$tmp/out")
    if [ "$rc" -eq 0 ] && [ "$got" = "$want_hand" ]; then pass; else
        fail "$a . b_f32.npy: rc $rc, got '$got' $(cat "$tmp/err")"
    fi
done

# The same vector in Fortran order as row 0 of a 2 x 4 array whose row 1 is
# (1, 2, 3, 4): the second dot product is 10.
run --a f32 --b f32 --acc exact --per-sample --tensor-a "$D/a_fortran.npy" --tensor-b "$D/b_f32.npy"
got=$(tail -n +2 "$tmp/out" | cut -d, -f6,9,10)
if [ "$rc" -eq 0 ] && [ "$got" = "$(printf '0,2,2\n1,10,10')" ]; then pass; else
    fail "Fortran order: rc $rc, got '$got' $(cat "$tmp/err")"
fi

# safetensors: a = (256, 1, -256, 1) in BF16, b = (1, 1, 1, 1) in F16: exact
# 2; a bfloat16 accumulator rounds 257 to 256 (a tie, to even), so it gives 1.
run --a f32 --b f32 --acc exact,bf16,f32seq --per-sample \
    --tensor-a "$D/ab.safetensors:a" --tensor-b "$D/ab.safetensors:b"
got=$(tail -n +2 "$tmp/out" | cut -d, -f7,9,10)
if [ "$rc" -eq 0 ] && [ "$got" = "$(printf 'exact,2,2\nbf16,1,2\nf32seq,2,2')" ]; then pass; else
    fail "safetensors: rc $rc, got '$got' $(cat "$tmp/err")"
fi

# float16 .npy, a = (2048, 1, -2048, 1), against the 2 x 4 F32 tensor of
# ones: two samples of exact value 2; binary16 accumulation gives 1
# (2049 is a tie between 2048 and 2050).
run --a f32 --b f32 --acc exact,f16 --per-sample --tensor-a "$D/a_f16.npy" \
    --tensor-b "$D/ab.safetensors:w"
got=$(tail -n +2 "$tmp/out" | cut -d, -f6,7,9,10 | tr '\n' ' ')
if [ "$rc" -eq 0 ] && [ "$got" = "0,exact,2,2 0,f16,1,2 1,exact,2,2 1,f16,1,2 " ]; then pass; else
    fail "float16 npy: rc $rc, got '$got' $(cat "$tmp/err")"
fi

# A tensor A with synthetic B: runs, rows labelled tensor:normal.
run --a bf16 --b e4m3 --acc exact --samples 3 --tensor-a "$D/ab.safetensors:w"
if [ "$rc" -eq 0 ] && [ "$(field "$tmp/out" 2 4)" = "tensor:normal" ] &&
    [ "$(field "$tmp/out" 2 8)" = 3 ]; then pass; else
    fail "tensor A alone: rc $rc, $(cat "$tmp/out" "$tmp/err")"
fi

# --------------------------------------------------------------- malformed files
expect_error "truncated npy" 1 "truncated .npy header" --tensor-a "$D/bad_truncated.npy"
expect_error "npy dtype" 1 "unsupported .npy dtype '<i4'" --tensor-a "$D/bad_dtype.npy"
expect_error "npy absurd shape" 1 "absurd .npy shape" --tensor-a "$D/bad_shape.npy"
expect_error "npy size" 1 "the .npy shape needs 20 bytes of data, the file holds 16" \
    --tensor-a "$D/bad_size.npy"
expect_error "npy header" 1 "'fortran_order' is neither True nor False" --tensor-a "$D/bad_header.npy"
expect_error "not a tensor" 1 "neither a .npy file" --tensor-a "$D/bad_notensor.npy"
expect_error "safetensors JSON" 1 "bad safetensors header JSON" --tensor-a "$D/bad_json.safetensors"
expect_error "safetensors dtype" 1 "has dtype 'I64'" --tensor-a "$D/bad_dtype.safetensors"
expect_error "safetensors shape" 1 "absurd shape for tensor 'a'" --tensor-a "$D/bad_shape.safetensors"
expect_error "safetensors offsets" 1 "data_offsets [0, 1000] outside" \
    --tensor-a "$D/bad_offsets.safetensors"
expect_error "safetensors truncated" 1 "truncated safetensors header" \
    --tensor-a "$D/bad_truncated.safetensors"
expect_error "safetensors name" 1 "no tensor named 'zz'" --tensor-a "$D/ab.safetensors:zz"
expect_error "safetensors pick" 1 "pick one with FILE:NAME (a, b, w)" --tensor-a "$D/ab.safetensors"
expect_error "missing file" 1 "no such file" --tensor-a "$tmp/none.npy"
expect_error "npy selector" 1 "a .npy file holds one array" --tensor-a "$D/a_f32.npy:x"
expect_error "row length" 1 "does not split into rows" --tensor-a "$D/a_f32.npy" --k 3
# Truncations of a valid file at every length give exit 1, never a crash.
size=$(wc -c <"$D/ab.safetensors")
i=0
bad=""
while [ "$i" -lt "$size" ]; do
    head -c "$i" "$D/ab.safetensors" >"$tmp/cut.safetensors"
    run --tensor-a "$tmp/cut.safetensors:a" --acc exact
    [ "$rc" -eq 1 ] || bad="$bad $i:$rc"
    i=$((i + 7))
done
size=$(wc -c <"$D/a_f32.npy")
i=0
while [ "$i" -lt "$size" ]; do
    head -c "$i" "$D/a_f32.npy" >"$tmp/cut.npy"
    run --tensor-a "$tmp/cut.npy" --acc exact
    [ "$rc" -eq 1 ] || bad="$bad npy$i:$rc"
    i=$((i + 5))
done
if [ -z "$bad" ]; then pass; else fail "truncated files (length:status):$bad"; fi

# --------------------------------------------------------------- output directory
# Without gnuplot on PATH: a note, the CSV and the report all the same.
# A PATH without gnuplot: each directory holding it is replaced by a copy
# made of symbolic links to everything else in it.
nogp_path=""
nd=0
oldifs=$IFS
IFS=:
for dir in $PATH; do
    IFS=$oldifs
    if [ -n "$dir" ] && [ -x "$dir/gnuplot" ]; then
        nd=$((nd + 1))
        mkdir "$tmp/bin$nd"
        ln -s "$dir"/* "$tmp/bin$nd/" 2>/dev/null
        rm -f "$tmp/bin$nd"/gnuplot*
        dir=$tmp/bin$nd
    fi
    nogp_path=${nogp_path:+$nogp_path:}$dir
done
IFS=$oldifs
PATH="$nogp_path" "$T" accuracy --quick --seed 2 --acc exact,f32seq --out-dir "$tmp/o1" \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 0 ] && grep -qF "gnuplot not found" "$tmp/err" && [ -s "$tmp/o1/accuracy.csv" ] &&
    [ -s "$tmp/o1/report.md" ] && [ ! -e "$tmp/o1/plots" ] && [ ! -s "$tmp/out" ]; then pass; else
    fail "no gnuplot: rc $rc, stderr $(cat "$tmp/err"), files $(ls "$tmp/o1" 2>&1)"
fi
if [ "$(head -n 1 "$tmp/o1/accuracy.csv")" = "$header" ] &&
    [ "$(wc -l <"$tmp/o1/accuracy.csv")" -eq 5 ] &&
    grep -qF "| bf16 | bf16 | normal | 256 | exact |" "$tmp/o1/report.md"; then pass; else
    fail "out-dir contents: $(cat "$tmp/o1/accuracy.csv")"
fi
if ls -a "$tmp/o1" | grep -q '\.tmp'; then fail "temporary files left: $(ls -a "$tmp/o1")"; else pass; fi
# Existing results are kept unless --force.
expect_error "existing results" 1 "already holds results" --quick --out-dir "$tmp/o1"
PATH="$nogp_path" "$T" accuracy --quick --seed 2 --acc exact --out-dir "$tmp/o1" --force \
    >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 0 ] && [ "$(wc -l <"$tmp/o1/accuracy.csv")" -eq 3 ]; then pass; else
    fail "--force: rc $rc $(cat "$tmp/err")"
fi
: >"$tmp/afile"
expect_error "out-dir is a file" 1 "is not a directory" --quick --out-dir "$tmp/afile"

# With gnuplot (when installed): PNG and SVG plots of the error against K.
if command -v gnuplot >/dev/null 2>&1; then
    run --quick --seed 2 --acc exact,f32seq,bf16 --out-dir "$tmp/o2"
    npng=$(ls "$tmp/o2/plots/"*.png 2>/dev/null | wc -l)
    nsvg=$(ls "$tmp/o2/plots/"*.svg 2>/dev/null | wc -l)
    if [ "$rc" -eq 0 ] && [ "$npng" -ge 1 ] && [ "$npng" -eq "$nsvg" ]; then pass; else
        fail "gnuplot plots: rc $rc, $npng png, $nsvg svg: $(cat "$tmp/err")"
    fi
fi

# The preset study, small: every part, the softmax table included.
PATH="$nogp_path" "$T" accuracy --study --quick --samples 4 --out-dir "$tmp/o3" \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
parts=$(tail -n +2 "$tmp/o3/accuracy.csv" | cut -d, -f1 | sort -u | tr '\n' ' ')
bad=$(awk -F, 'NR > 1 && $6 == "exact" && ($21 != 0 || $24 != 0)' "$tmp/o3/accuracy.csv")
if [ "$rc" -eq 0 ] && [ "$parts" = "bfpweights fp8act growth " ] && [ -z "$bad" ] &&
    [ "$(wc -l <"$tmp/o3/softmax.csv")" -eq 21 ] &&
    grep -qF "## Attention logits" "$tmp/o3/report.md"; then pass; else
    fail "--study: rc $rc, parts '$parts', exact rows '$bad', $(cat "$tmp/err")"
fi
expect_error "study without out-dir" 2 "give --out-dir" --study

# No progress bar when stderr is not a terminal.
run --quick --acc exact
if [ "$rc" -eq 0 ] && [ ! -s "$tmp/err" ]; then pass; else fail "stderr not quiet: $(cat "$tmp/err")"; fi

# --------------------------------------------------------------- usage errors
expect_error "unknown format" 2 "unknown format 'e9m9'" --a e9m9
expect_error "scale format" 2 "not a storage format" --a e8m0
expect_error "unknown acc" 2 "unknown accumulator 'f8'" --acc f8
expect_error "trunc bits" 2 "trunc:B needs 2 <= B <= 24" --acc trunc:30
expect_error "k range" 2 "out of range" --k 0
expect_error "k too big" 2 "out of range" --k 2097152
expect_error "unknown dist" 2 "unknown distribution 'cauchy'" --dist cauchy
expect_error "out format" 2 "--out needs a signed floating-point format" --out int8
expect_error "tensor-b alone" 2 "--tensor-b needs --tensor-a" --tensor-b "$D/b_f32.npy"
expect_error "study with lists" 2 "--study sets" --study --a bf16
expect_error "unknown option" 2 "unknown option '--bogus'" --bogus
run --help
if [ "$rc" -eq 0 ] && grep -qF "acc_ulp" "$tmp/out"; then pass; else fail "--help: rc $rc"; fi

echo "check_cli_accuracy: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
