#!/bin/sh
# check_fuzz_replay.sh -- replays the stored fuzz corpora (fuzz/corpus/<t>/)
# through each target's checks (fuzz/replay_<t>), once per kernel variant
# (TP_ISA=ref, avx2, avx512; a variant the CPU lacks falls back to a lower
# one).  The targets compare every result with the MPFR oracle, so each ISA
# is checked against the exact answer, not only against another ISA.
set -u
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
status=0
for t in codec block acc acc_serial dot gemm cli; do
    prog=$top_builddir/fuzz/replay_$t
    dir=$top_srcdir/fuzz/corpus/$t
    if [ ! -d "$dir" ]; then
        echo "missing corpus $dir"
        status=1
        continue
    fi
    isas="ref avx2 avx512"
    [ $t = cli ] && isas=ref # the tool's parsing does not depend on the kernels
    for isa in $isas; do
        if TP_ISA=$isa "$prog" -q "$dir"; then
            echo "PASS: $t (TP_ISA=$isa)"
        else
            echo "FAIL: $t (TP_ISA=$isa)"
            status=1
        fi
    done
done
exit $status
