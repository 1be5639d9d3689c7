#!/bin/bash
# ci/cross.sh -- cross builds and test runs on other architectures: aarch64
# (NEON kernels) and s390x (big-endian) under qemu-user, and i386 (32-bit
# x86, run natively).  See doc/PORTING.md.
#
# Usage: ci/cross.sh [aarch64] [s390x] [i386]      (default: all three)
#
# As root it first installs what it needs from Debian (multiarch arm64,
# s390x and i386; the cross compilers; GMP, MPFR and Check of each target;
# qemu-user with its binfmt_misc registrations) -- set TP_CROSS_INSTALL=0 to
# skip that step.  For each target it configures out of tree with
# --host=<triplet> (static libraries, so the test programs are plain
# executables), builds, and runs `make check`; a test program of the other
# architecture runs through binfmt_misc and qemu-user.  If binfmt_misc cannot
# be used, the check programs run through `qemu-<arch>` as the LOG_COMPILER
# instead, with TP_TEST_EXEC_WRAPPER for the suites that re-execute
# themselves, and the shell tests (which start the CLI themselves) are left
# out.  The target's dynamic loader and libraries come from multiarch
# (/lib/ld-linux-aarch64.so.1, /usr/lib/aarch64-linux-gnu): no -L prefix,
# which would mix in the cross toolchain's own libc.
#
# Environment:
#   TP_TEST_TIER      the test tier of the emulated targets (default: quick)
#   TP_CROSS_DIR      build root (default: /tmp/tp-cross); one directory per target
#   TP_CROSS_INSTALL  0: do not install packages
#   TP_CROSS_JOBS     make -j (default: 2)
#   TP_CROSS_TESTS    run only these tests (a TESTS list, e.g. "tests/check_golden
#                     tests/check_isa"); only they are built besides the library
# Prints one line per target:
#   cross: <target> <PASS|FAIL> tests: <pass> passed, <fail> failed ... in <s> s
# and exits non-zero if a target failed.
set -u

srcdir=$(cd "$(dirname "$0")/.." && pwd)
root=${TP_CROSS_DIR:-/tmp/tp-cross}
jobs=${TP_CROSS_JOBS:-2}
tier=${TP_TEST_TIER:-quick}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(aarch64 s390x i386)

log() { printf 'cross: %s\n' "$*"; }

triplet_of() {
    case $1 in
    aarch64) echo aarch64-linux-gnu ;;
    s390x) echo s390x-linux-gnu ;;
    i386) echo i686-linux-gnu ;;
    *) return 1 ;;
    esac
}
debarch_of() {
    case $1 in
    aarch64) echo arm64 ;;
    s390x) echo s390x ;;
    i386) echo i386 ;;
    esac
}
libdir_of() { # Debian multiarch directory
    case $1 in
    i386) echo i386-linux-gnu ;;
    *) triplet_of "$1" ;;
    esac
}

for t in "${targets[@]}"; do
    triplet_of "$t" >/dev/null || { log "unknown target '$t' (aarch64, s390x, i386)"; exit 2; }
done

# ------------------------------------------------------------ packages
if [ "${TP_CROSS_INSTALL:-1}" != 0 ] && [ "$(id -u)" = 0 ]; then
    pkgs="pkg-config autoconf automake libtool make qemu-user qemu-user-binfmt binfmt-support"
    for t in "${targets[@]}"; do
        a=$(debarch_of "$t")
        dpkg --add-architecture "$a"
        case $t in
        aarch64) pkgs="$pkgs crossbuild-essential-arm64" ;;
        s390x) pkgs="$pkgs crossbuild-essential-s390x" ;;
        i386) pkgs="$pkgs crossbuild-essential-i386" ;;
        esac
        pkgs="$pkgs libgmp-dev:$a libmpfr-dev:$a check:$a"
    done
    # binfmt_misc: mounted here if the system has not done it (needed by
    # qemu-user-binfmt's registrations)
    if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
        mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || true
    fi
    t0=$(date +%s)
    # a mirror that is syncing one index (seen for i386) fails `update` while
    # every package needed is still there: go on, the install decides
    for i in 1 2 3; do
        apt-get update -q >/dev/null 2>&1 && break
        log "apt-get update reported errors (attempt $i)"
        [ "$i" = 3 ] || sleep 10
    done
    # shellcheck disable=SC2086
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $pkgs \
        >"$root.apt.log" 2>&1; then
        log "apt-get install failed (see $root.apt.log)"
        tail -n 20 "$root.apt.log"
        exit 1
    fi
    if command -v update-binfmts >/dev/null && [ -e /proc/sys/fs/binfmt_misc/register ]; then
        for q in qemu-aarch64 qemu-s390x; do
            update-binfmts --enable "$q" >/dev/null 2>&1 || true
        done
    fi
    log "packages ready in $(($(date +%s) - t0)) s"
fi

# configure is generated from configure.ac (a fresh clone has none)
if [ ! -x "$srcdir/configure" ]; then
    (cd "$srcdir" && autoreconf -fi) || { log "autoreconf failed"; exit 1; }
fi

# ------------------------------------------------------------ targets
# Whether the host runs an executable of target t: natively or through a
# registered binfmt_misc handler.
runs_here() {
    local t=$1 dir=$2 tri
    tri=$(triplet_of "$t")
    printf 'int main(void) { return 0; }\n' >"$dir/probe.c"
    "$tri-gcc" "$dir/probe.c" -o "$dir/probe" 2>/dev/null && "$dir/probe" 2>/dev/null
}

status=0
summary=()
for t in "${targets[@]}"; do
    tri=$(triplet_of "$t")
    ml=$(libdir_of "$t")
    b="$root/$t"
    mkdir -p "$b"
    t0=$(date +%s)
    export PKG_CONFIG_LIBDIR="/usr/lib/$ml/pkgconfig:/usr/share/pkgconfig"
    export PKG_CONFIG_PATH=
    cfg_ok=1
    if [ ! -f "$b/Makefile" ] || [ "$srcdir/configure" -nt "$b/config.status" ]; then
        (cd "$b" && nice -n 19 "$srcdir/configure" -q --host="$tri" --enable-werror \
            --disable-shared >"$b/configure.log" 2>&1) || cfg_ok=0
    fi
    if [ $cfg_ok = 0 ] || ! (cd "$b" && nice -n 19 make -j"$jobs" >"$b/build.log" 2>&1); then
        log "$t: build FAILED (see $b/configure.log, $b/build.log)"
        tail -n 30 "$b/build.log" 2>/dev/null
        summary+=("cross: $t FAIL build in $(($(date +%s) - t0)) s")
        status=1
        continue
    fi
    t1=$(date +%s)
    qemu=""
    case $t in
    aarch64) qemu=qemu-aarch64 ;;
    s390x) qemu=qemu-s390x ;;
    esac
    env_tier=$tier
    [ -z "$qemu" ] && env_tier=${TP_TEST_TIER:-}
    checkargs=()
    if [ -n "${TP_CROSS_TESTS:-}" ]; then
        checkargs=(TESTS="$TP_CROSS_TESTS" check_PROGRAMS=)
    fi
    mode=native
    if [ -n "$qemu" ]; then
        mode="qemu-user (binfmt_misc)"
        if ! runs_here "$t" "$b"; then
            # no binfmt_misc: the binaries run through qemu directly
            mode="qemu-user (LOG_COMPILER)"
            bins=$(cd "$b" && make -s -f Makefile -f - print-tests <<'EOF'
print-tests:
	@echo $(filter-out %.sh,$(TESTS))
EOF
)
            [ -n "${TP_CROSS_TESTS:-}" ] && bins=$(printf '%s\n' $TP_CROSS_TESTS | grep -v '\.sh$')
            checkargs=(TESTS="$bins" check_PROGRAMS= LOG_COMPILER="$qemu")
            TP_TEST_EXEC_WRAPPER="$(command -v "$qemu")"
            export TP_TEST_EXEC_WRAPPER
        fi
    fi
    (cd "$b" && TP_TEST_TIER=$env_tier nice -n 19 make -j"$jobs" check "${checkargs[@]}" \
        >"$b/check.log" 2>&1)
    rc=$?
    unset TP_TEST_EXEC_WRAPPER
    t2=$(date +%s)
    pass=$(sed -n 's/^# PASS: *//p' "$b/check.log" | tail -n 1)
    fail=$(sed -n 's/^# FAIL: *//p' "$b/check.log" | tail -n 1)
    xerr=$(sed -n 's/^# ERROR: *//p' "$b/check.log" | tail -n 1)
    golden=$(grep -h '^# golden hash' "$b"/tests/check_golden.log 2>/dev/null | head -n 1)
    verdict=PASS
    if [ $rc != 0 ] || [ "${fail:-0}" != 0 ] || [ "${xerr:-0}" != 0 ] || [ -z "$pass" ]; then
        verdict=FAIL
        status=1
        grep -E '^(FAIL|ERROR):' "$b/check.log" | sed "s/^/cross: $t: /"
    fi
    line="cross: $t $verdict tests: ${pass:-0} passed, ${fail:-0} failed, ${xerr:-0} errors;"
    line="$line $mode, tier ${env_tier:-default}; build $((t1 - t0)) s, check $((t2 - t1)) s"
    [ -n "$golden" ] && line="$line; ${golden#\# }"
    log "${line#cross: }"
    summary+=("$line")
done

echo "---- cross summary"
printf '%s\n' "${summary[@]}"
exit $status
