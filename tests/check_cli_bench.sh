#!/bin/sh
# check_cli_bench.sh -- exercises `truepoint bench`: the help, the usage
# errors, a missing or failing benchmark program (with stand-in programs in a
# TP_BENCH_DIR, so that the JSON assembly and the summary are checked on
# known input), a real quick run of the acc and dot benchmarks with --json,
# and the demo without the benchmark programs.
#
# Run by `make check` with top_srcdir and top_builddir set; by hand:
#   top_srcdir=/path/to/src top_builddir=/path/to/build sh tests/check_cli_bench.sh
# Exit status 0 if every check passed, 1 otherwise.

top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
T=$top_builddir/truepoint

if [ ! -x "$T" ]; then
    echo "check_cli_bench: $T not found (build it first)"
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check_cli_bench.XXXXXX") || exit 1
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
    "$T" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}

# expect_rc NAME WANT_RC
expect_rc() {
    if [ "$rc" -eq "$2" ]; then pass; else
        fail "$1: exit status $rc, expected $2 (stderr: $(head -c 300 "$tmp/err"))"
    fi
}

# expect_grep NAME FILE TEXT: FILE holds the fixed string TEXT.
expect_grep() {
    if grep -qF -e "$3" "$2"; then pass; else fail "$1: '$3' not in $(basename "$2")"; fi
}

# expect_nogrep NAME FILE TEXT
expect_nogrep() {
    if grep -qF -e "$3" "$2"; then fail "$1: '$3' in $(basename "$2")"; else pass; fi
}

# ------------------------------------------------------------ help
run bench --help
expect_rc "help" 0
for word in --quick --reps --json --only TP_BENCH_DIR median vcvtps2ph vcvtph2ps \
    cblas_sdot cblas_sgemm "bf16" "double loop" codec block acc dot gemm "Exit status"; do
    expect_grep "help mentions $word" "$tmp/out" "$word"
done
run --help
expect_grep "bench in the command list" "$tmp/out" "  bench "

# ------------------------------------------------------------ usage errors
run bench --only acc,foo
expect_rc "unknown --only name" 2
expect_grep "unknown --only name message" "$tmp/err" "unknown benchmark 'foo'"
run bench --only ""
expect_rc "empty --only" 2
run bench --frobnicate
expect_rc "unknown option" 2
expect_grep "unknown option message" "$tmp/err" "unknown option '--frobnicate'"
run bench --reps 0
expect_rc "--reps 0" 2
expect_grep "--reps 0 message" "$tmp/err" "--reps must be 1 to 101"
run bench --reps x
expect_rc "--reps x" 2
run bench extra
expect_rc "stray argument" 2

# ------------------------------------------------------------ missing programs
TP_BENCH_DIR=/nonexistent "$T" bench --quick --only acc >"$tmp/out" 2>"$tmp/err"
rc=$?
expect_rc "missing bench dir" 1
expect_grep "missing bench dir message" "$tmp/err" "bench_acc not found in /nonexistent"
expect_grep "missing bench dir hint" "$tmp/err" "TP_BENCH_DIR"

# ------------------------------------------------------------ stand-in programs
# Each writes a known JSON to its --json file and echoes its arguments;
# bench_dot fails with status 3; bench_codec is missing.
fake=$tmp/fake
mkdir "$fake"
cat >"$fake/bench_acc" <<'EOF'
#!/bin/sh
echo "fake acc args: $*"
while [ $# -gt 0 ]; do
    if [ "$1" = --json ]; then out=$2; shift; fi
    shift
done
printf '{\n  "bench": "fake_acc",\n  "ratio_is": "exact_time/peer_time",\n  "cases": [\n' >"$out"
printf '    {"name": "sum one", "n": 10, "verified": true, "ratio": {"median": 2, "min": 1, "max": 4}},\n' >>"$out"
printf '    {"name": "sum two", "n": 20, "verified": false}\n  ]\n}\n' >>"$out"
exit 0
EOF
cat >"$fake/bench_dot" <<'EOF'
#!/bin/sh
echo "fake dot table"
exit 3
EOF
cp "$fake/bench_acc" "$fake/bench_block"
chmod +x "$fake/bench_acc" "$fake/bench_dot" "$fake/bench_block"

TP_BENCH_DIR=$fake "$T" bench --quick --reps 2 --only acc --json "$tmp/f1.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
expect_rc "stand-in acc" 0
expect_grep "stand-in acc arguments" "$tmp/out" "fake acc args: --quick --reps 2 --json "
expect_grep "stand-in acc heading" "$tmp/out" "==== acc:"
# A time ratio of 2 is half the peer's speed; an unverified case has no number.
if grep -q '^  acc  *sum one n=10  *0\.50  ' "$tmp/out"; then pass; else
    fail "summary of 'sum one': $(grep 'sum one' "$tmp/out")"; fi
if grep -q '^  acc  *sum two n=20  *- ' "$tmp/out"; then pass; else
    fail "summary of 'sum two': $(grep 'sum two' "$tmp/out")"; fi
expect_grep "stand-in JSON tool" "$tmp/f1.json" '"tool": "truepoint bench"'
expect_grep "stand-in JSON quick" "$tmp/f1.json" '"quick": true'
expect_grep "stand-in JSON reps" "$tmp/f1.json" '"reps": 2'
expect_grep "stand-in JSON failed" "$tmp/f1.json" '"failed": []'
expect_grep "stand-in JSON verbatim" "$tmp/f1.json" \
    '    {"name": "sum one", "n": 10, "verified": true, "ratio": {"median": 2, "min": 1, "max": 4}},'
expect_grep "stand-in JSON key" "$tmp/f1.json" '"acc": {'
expect_nogrep "stand-in JSON has no dot" "$tmp/f1.json" '"dot"'
expect_nogrep "temporary files removed" "$tmp/err" "truepoint-bench."

TP_BENCH_DIR=$fake "$T" bench --only acc,dot,block --json "$tmp/f2.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
expect_rc "failing benchmark" 1
expect_grep "failing benchmark message" "$tmp/err" "bench_dot failed (exit status 3)"
expect_grep "failing benchmark total" "$tmp/err" "1 of 3 benchmarks failed: dot"
expect_grep "later benchmarks still run" "$tmp/out" "==== dot:"
expect_grep "failing benchmark JSON failed" "$tmp/f2.json" '"failed": ["dot"]'
expect_grep "failing benchmark JSON null" "$tmp/f2.json" '"dot": null'
expect_grep "failing benchmark JSON block" "$tmp/f2.json" '"block": {'
expect_grep "no --quick passed by default" "$tmp/out" "fake acc args: --json "

TP_BENCH_DIR=$fake "$T" bench --only codec,acc >"$tmp/out" 2>"$tmp/err"
rc=$?
expect_rc "one program missing" 1
expect_grep "one program missing message" "$tmp/err" "bench_codec not found in $fake"
expect_nogrep "nothing runs when one is missing" "$tmp/out" "fake acc args"

# ------------------------------------------------------------ demo
TP_BENCH_DIR=/nonexistent "$T" demo >"$tmp/out" 2>"$tmp/err"
rc=$?
expect_rc "demo without benchmarks" 0
expect_grep "demo accuracy headline" "$tmp/out" "Accuracy headline"
expect_grep "demo accuracy exact" "$tmp/out" \
    "exact accumulation (libtruepoint):         0.0% of outputs not correctly rounded, max 0 ulp off"
expect_grep "demo speed unavailable" "$tmp/out" \
    "speed headline unavailable: bench_gemm not found in /nonexistent"

# ------------------------------------------------------------ a real run
if [ ! -x "$top_builddir/bench/bench_acc" ] || [ ! -x "$top_builddir/bench/bench_dot" ]; then
    echo "check_cli_bench: no benchmark programs in $top_builddir/bench (x86-64 only): real run skipped"
else
    "$T" bench --quick --only acc,dot --json "$tmp/real.json" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    expect_rc "quick acc,dot run" 0
    if [ -s "$tmp/real.json" ]; then pass; else fail "quick run: no JSON file"; fi
    for key in '"tool": ' '"version": ' '"library": ' '"isa": ' '"quick": true' '"reps": null' \
        '"failed": []' '"acc": {' '"dot": {' '"bench": "bench_acc"' '"bench": "bench_dot"'; do
        expect_grep "quick run JSON $key" "$tmp/real.json" "$key"
    done
    for key in '"codec"' '"block"' '"gemm"'; do
        expect_nogrep "quick run JSON without $key" "$tmp/real.json" "$key"
    done
    expect_grep "quick run acc table" "$tmp/out" "# bench_acc:"
    expect_grep "quick run dot table" "$tmp/out" "# bench_dot:"
    expect_grep "quick run summary" "$tmp/out" "==== summary"
    expect_nogrep "quick run verified" "$tmp/out" "VERIFY FAILED"
fi

echo "check_cli_bench: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ] || exit 1
exit 0
