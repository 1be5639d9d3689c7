#!/bin/sh
# check_symbols.sh -- the shared library exports exactly the public API.
#
# Three lists must be equal:
#   1. every TP_API function declared in include/truepoint.h (parsed here);
#   2. tests/exported-symbols.txt (sorted, one symbol a line);
#   3. the defined dynamic text/data symbols (nm types T, D, R, B) of
#      $top_builddir/.libs/libtruepoint.so.
# Exit 0 on success, 1 on a mismatch (with a diff), 77 (skip) when there is no
# shared library to inspect (e.g. --disable-shared) or no nm.
# top_srcdir and top_builddir come from the environment (make check exports
# them); nothing is written outside a private temporary directory.

set -u

me=check_symbols
top_srcdir=${top_srcdir:-$(dirname "$0")/..}
top_builddir=${top_builddir:-.}
header=$top_srcdir/include/truepoint.h
listed=$top_srcdir/tests/exported-symbols.txt
so=$top_builddir/.libs/libtruepoint.so

LC_ALL=C
export LC_ALL

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }
finish() {
    echo "$me: $passed passed, $failed failed"
    if [ "$failed" -ne 0 ]; then exit 1; fi
    exit "${1:-0}"
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tp_symbols.XXXXXX") || { echo "$me: mktemp failed"; exit 99; }
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

for f in "$header" "$listed"; do
    if [ ! -r "$f" ]; then
        echo "$me: cannot read $f"
        exit 99
    fi
done

# 1. The header: each declaration that starts with TP_API (not the #define),
# possibly spread over several lines; the name is the identifier before '('.
awk '
    /^[ \t]*TP_API[ \t]/ { decl = ""; collecting = 1 }
    collecting {
        decl = decl " " $0
        if (index(decl, "(") > 0) {
            sub(/\(.*/, "", decl)
            n = split(decl, w, /[^A-Za-z0-9_]+/)
            name = ""
            for (i = n; i >= 1; i--) if (w[i] != "") { name = w[i]; break }
            print name
            collecting = 0
        }
    }
' "$header" | sort >"$tmp/header"
nheader=$(wc -l <"$tmp/header" | tr -d ' ')
if [ "$nheader" -gt 0 ] && ! grep -qv '^tp_' "$tmp/header"; then
    pass "include/truepoint.h declares $nheader TP_API functions, all named tp_*"
else
    fail "include/truepoint.h: no TP_API functions parsed, or a name without the tp_ prefix"
    cat "$tmp/header"
fi

# 2. The committed list: sorted, unique, and equal to the header's list.
if sort -u "$listed" | cmp -s - "$listed"; then
    pass "tests/exported-symbols.txt is sorted and has no duplicates"
else
    fail "tests/exported-symbols.txt is not sorted (LC_ALL=C) or has duplicates"
fi
if diff -u "$listed" "$tmp/header" >"$tmp/diff1"; then
    pass "tests/exported-symbols.txt equals the TP_API functions of include/truepoint.h"
else
    fail "tests/exported-symbols.txt differs from include/truepoint.h (- listed, + header):"
    cat "$tmp/diff1"
fi

# 3. The shared library.
if [ ! -f "$so" ]; then
    echo "SKIP: $so not found (static-only build?)"
    finish 77
fi
NM=${NM:-nm}
if ! command -v "$NM" >/dev/null 2>&1; then
    echo "SKIP: $NM not found"
    finish 77
fi
if ! "$NM" -D --defined-only "$so" >"$tmp/nm.raw" 2>"$tmp/nm.err"; then
    fail "$NM -D --defined-only $so failed"
    cat "$tmp/nm.err"
    finish
fi
# Keep text/data symbols; drop the linker's own markers and version suffixes.
awk 'NF >= 3 && $(NF-1) ~ /^[TDRB]$/ { print $NF }' "$tmp/nm.raw" |
    sed 's/@.*//' |
    grep -v -x -e _init -e _fini -e _edata -e _end -e __bss_start |
    sort -u >"$tmp/exported"
if diff -u "$listed" "$tmp/exported" >"$tmp/diff2"; then
    pass "$so exports exactly the $(wc -l <"$tmp/exported" | tr -d ' ') listed symbols"
else
    fail "$so exports a different set (- listed, + exported):"
    cat "$tmp/diff2"
fi
finish 0
