#!/usr/bin/env bash
# ci/lint.sh -- static analysis of the library (lib/) and the CLI
# (tools/truepoint/): clang-tidy with the checks of .clang-tidy, and cppcheck
# (warning, style, performance, portability) with ci/cppcheck.supp.  Each file
# is analysed with the flags the build gives it: the baseline flags, the ISA
# kernels with their own -m flags (as in configure.ac), the NEON kernels for
# --target=aarch64-linux-gnu.  Exits non-zero on any finding.  doc/LINT.md
# explains the check set and every exception.
#
# Usage: ci/lint.sh [BUILDDIR]
#   BUILDDIR  a configured build tree (for its config.h); without it the
#             script configures one in a temporary directory.
# Environment:
#   CLANG_TIDY  clang-tidy binary (default: clang-tidy)
#   CPPCHECK    cppcheck binary (default: cppcheck)
#   TP_LINT_JOBS  parallel clang-tidy processes (default: nproc)
# Needs clang-tidy (14 or later) and cppcheck (2.10 or later); the NEON files
# are analysed by clang-tidy only when the aarch64 C headers are installed
# (Debian: libc6-dev-arm64-cross), and by cppcheck always.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
tidy=${CLANG_TIDY:-clang-tidy}
cppcheck=${CPPCHECK:-cppcheck}
jobs=${TP_LINT_JOBS:-$(nproc)}
t0=$(date +%s)

for tool in "$tidy" "$cppcheck"; do
    command -v "$tool" >/dev/null || { echo "lint: $tool not found" >&2; exit 2; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bdir=${1:-}
if [ -z "$bdir" ]; then
    bdir=$work/build
    mkdir -p "$bdir"
    (cd "$bdir" && "$src/configure" -q >/dev/null)
fi
bdir=$(cd "$bdir" && pwd)
[ -f "$bdir/config.h" ] || { echo "lint: no config.h in $bdir" >&2; exit 2; }

# ------------------------------------------------------------ file groups
# The flags mirror Makefile.am and configure.ac; -std=c11 as the build.
base="-std=c11 -ffp-contract=off -fno-strict-aliasing -I$bdir -I$src/include -I$src/lib/core -I$src/lib/ref"
avx2="-mavx2 -mfma -mf16c"
avx512="-mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vbmi -mavx512vnni -mavx512bf16 -mfma -mf16c -mavx2"
cli="-I$src/tests/oracle -DTP_PKGLIBEXECDIR=\"/usr/local/libexec/truepoint\""

# One line per file: FILE<TAB>FLAGS.
list=$work/files.txt
: >"$list"
add() { # add FLAGS FILE...
    local flags=$1 f
    shift
    for f in "$@"; do
        [ -f "$f" ] && printf '%s\t%s\n' "$f" "$flags" >>"$list"
    done
    return 0
}
shopt -s nullglob
add "$base -fvisibility=hidden" "$src"/lib/core/*.c "$src"/lib/ref/*.c
if [ "$(uname -m)" = x86_64 ]; then
    add "$base -fvisibility=hidden $avx2" "$src"/lib/x86/avx2/*.c
    add "$base -fvisibility=hidden $avx512" "$src"/lib/x86/avx512/*.c
fi
neon_note=""
if echo '#include <stdlib.h>' | clang --target=aarch64-linux-gnu -std=c11 -E -x c - >/dev/null 2>&1; then
    add "--target=aarch64-linux-gnu $base -fvisibility=hidden" "$src"/lib/arm/neon/*.c
else
    neon_note=" (NEON files: cppcheck only, no aarch64 headers for clang-tidy)"
fi
add "$base $cli" "$src"/tools/truepoint/*.c
nfiles=$(wc -l <"$list")
# Largest files first, so that the parallel runs finish together.
while IFS= read -r l; do
    printf '%s\t%s\n' "$(wc -c <"${l%%	*}")" "$l"
done <"$list" | sort -rn | cut -f2- >"$list.sorted"
mv "$list.sorted" "$list"

# ------------------------------------------------------------ clang-tidy
# Diagnostics come from the listed files and the project's own headers; a
# header's finding is reported once.  Compiler errors count as findings.
tidy_one() { # tidy_one FILE FLAGS
    local f=$1 flags=$2 out rc=0
    # shellcheck disable=SC2086
    out=$("$tidy" --quiet --config-file="$src/.clang-tidy" \
        --header-filter="^$src/(include|lib|tools)/" "$f" -- $flags 2>&1) || rc=$?
    printf '%s\n' "$out" | grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error): ' || true
    # A crash or a file that did not compile must not pass silently.
    [ "$rc" = 0 ] || echo "$f:1:1: error: clang-tidy exited with status $rc [clang-tidy]"
}
export -f tidy_one
export tidy src
tidy_raw=$work/tidy.txt
# shellcheck disable=SC2016  # expanded by the inner bash
tr '\n' '\0' <"$list" |
    xargs -0 -P "$jobs" -n 1 bash -c 'f=${1%%	*}; tidy_one "$f" "${1#*	}"' _ \
    >"$tidy_raw"
# Paths like lib/x86/avx2/../gemm_common.h name a shared header by its own path.
sed -E -e "s|^$src/||" -e ':a' -e 's|^([^:]*/)?[^/:.][^/:]*/\.\./|\1|' -e 'ta' "$tidy_raw" |
    sort -u >"$work/tidy.all"

# ci/clang-tidy.supp: FILE CHECK TEXT lines.  A finding is waived when its
# file is FILE, its check list names CHECK, and its source line contains
# TEXT (so a waiver follows its line when code moves, and lapses when the
# line changes).  Unused waivers are listed, to be pruned.
supp=$src/ci/clang-tidy.supp
: >"$work/tidy.sorted"
: >"$work/supp.used"
while IFS= read -r finding; do
    file=${finding%%:*}
    rest=${finding#*:}
    line=${rest%%:*}
    checks=${finding##*[}
    checks=${checks%]}
    text=$(sed -n "${line}p" "$src/$file" 2>/dev/null || true)
    waived=0
    n=0
    while IFS= read -r entry; do
        n=$((n + 1))
        case $entry in '' | '#'*) continue ;; esac
        read -r sfile scheck stext <<<"$entry"
        [ "$sfile" = "$file" ] || continue
        case ",$checks," in *",$scheck,"*) ;; *) continue ;; esac
        case $text in *"$stext"*) waived=1; echo "$n" >>"$work/supp.used"; break ;; esac
    done <"$supp"
    [ $waived = 1 ] || echo "$finding" >>"$work/tidy.sorted"
done <"$work/tidy.all"
nwaived=$(( $(wc -l <"$work/tidy.all") - $(wc -l <"$work/tidy.sorted") ))
ntidy=$(wc -l <"$work/tidy.sorted")
n=0
while IFS= read -r entry; do
    n=$((n + 1))
    case $entry in '' | '#'*) continue ;; esac
    grep -qx "$n" "$work/supp.used" ||
        echo "lint: note: unused waiver, ci/clang-tidy.supp:$n: $entry"
done <"$supp"

# ------------------------------------------------------------ cppcheck
# Checked as the x86-64 GCC build sees the code, and once more as aarch64
# (the NEON paths), with the project's include paths; system headers are
# not parsed (cppcheck's own library knows libc).
cpp_out=$work/cppcheck.txt
: >"$cpp_out"
# shellcheck disable=SC2054  # the commas belong to --enable
cpp_common=(-q --std=c11 --enable=warning,style,performance,portability
    --inline-suppr --suppressions-list="$src/ci/cppcheck.supp"
    --error-exitcode=0 -j "$jobs"
    --template='{file}:{line}:{column}: {severity}: {message} [{id}]'
    -I "$bdir" -I "$src/include" -I "$src/lib/core" -I "$src/lib/ref" -I "$src/tests/oracle"
    -D__GNUC__=12 -D__STDC_VERSION__=201112L)
(cd "$src" && "$cppcheck" "${cpp_common[@]}" -D__x86_64__ \
    lib/core lib/ref lib/x86 tools/truepoint 2>>"$cpp_out" >/dev/null)
(cd "$src" && "$cppcheck" "${cpp_common[@]}" -D__aarch64__ -DTP_HAVE_NEON=1 \
    lib/arm 2>>"$cpp_out" >/dev/null)
sort -u "$cpp_out" | grep -v '^$' >"$work/cpp.sorted" || true
ncpp=$(wc -l <"$work/cpp.sorted")

# ------------------------------------------------------------ report
t1=$(date +%s)
if [ "$ntidy" -gt 0 ]; then
    echo "--- clang-tidy findings"
    cat "$work/tidy.sorted"
fi
if [ "$ncpp" -gt 0 ]; then
    echo "--- cppcheck findings"
    cat "$work/cpp.sorted"
fi
echo "lint: $nfiles files, clang-tidy $ntidy findings ($nwaived waived), cppcheck $ncpp" \
    "findings, $((t1 - t0)) s$neon_note"
[ "$ntidy" -eq 0 ] && [ "$ncpp" -eq 0 ]
