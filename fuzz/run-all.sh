#!/bin/sh
# run-all.sh -- runs every libFuzzer target of a build for a bounded time.
#
#   fuzz/run-all.sh BUILD_DIR SECONDS [TARGET...]
#
# BUILD_DIR is a build configured with --enable-fuzzing (clang), SECONDS the
# time per target (default 60), TARGETs a subset of the targets (default:
# all).  Environment: FUZZ_JOBS (default 1: one process; N > 1 runs
# libFuzzer's -fork=N), FUZZ_FLAGS (extra libFuzzer flags).
#
# Each target starts from its seed corpus fuzz/corpus/<target>/ (read only)
# plus BUILD_DIR/fuzz/work/<target>/ (the inputs the runs found, kept between
# runs).  A failing input is saved as BUILD_DIR/fuzz/findings/<target>/
# crash-<sha1> (or leak-, timeout-, oom-) with the log next to it.  Prints one
# line per target with the executions and the result; exits 1 if any target
# failed.
set -u
if [ $# -lt 1 ]; then
    echo "usage: $0 BUILD_DIR [SECONDS] [TARGET...]" >&2
    exit 2
fi
build=$1
secs=${2:-60}
[ $# -ge 2 ] && shift 2 || shift 1
srcdir=$(cd "$(dirname "$0")" && pwd)
targets=${*:-"codec block acc acc_serial dot gemm cli"}
jobs=${FUZZ_JOBS:-1}
status=0
for t in $targets; do
    bin=$build/fuzz/fuzz_$t
    if [ ! -x "$bin" ]; then
        echo "fuzz_$t: MISSING ($bin; configure with --enable-fuzzing CC=clang and run make)"
        status=1
        continue
    fi
    work=$build/fuzz/work/$t
    findings=$build/fuzz/findings/$t
    log=$build/fuzz/findings/$t.log
    mkdir -p "$work" "$findings"
    rm -f "$log"
    stamp=$findings/.started
    touch "$stamp"
    if [ "$jobs" -gt 1 ]; then
        par="-fork=$jobs"
    else
        par=""
    fi
    # -max_len: the accumulator serialisation is 1096 bytes; 4096 covers
    # every target.  -timeout: one input may take at most 20 s.
    # shellcheck disable=SC2086
    nice "$bin" $par -max_total_time="$secs" -max_len=4096 -timeout=20 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$findings/" ${FUZZ_FLAGS:-} \
        "$work" "$srcdir/corpus/$t" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ -z "$execs" ]; then
        execs=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
    fi
    found=$(find "$findings" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
        -o -name 'oom-*' \) -newer "$stamp" 2>/dev/null | head -n 5)
    if [ $rc -eq 0 ] && [ -z "$found" ]; then
        result=PASS
    else
        result=FAIL
        status=1
    fi
    echo "fuzz_$t: execs=${execs:-0} seconds=$secs result=$result"
    if [ $result = FAIL ]; then
        echo "  log: $log"
        for f in $found; do echo "  input: $f"; done
        grep -m 3 -E 'fuzz check failed|ERROR: |runtime error' "$log" | sed 's/^/  /'
    fi
done
exit $status
