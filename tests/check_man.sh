#!/bin/sh
# check_man.sh -- the man page documents every command that `truepoint
# --help` lists (a .SS heading per command), runs through man's formatter
# without warnings where groff is installed, and its example gives what it
# claims.
top_srcdir=${top_srcdir:-$(dirname "$0")/..}
top_builddir=${top_builddir:-.}
man=$top_srcdir/doc/truepoint.1
T=$top_builddir/truepoint
fail=0
cmds=$("$T" --help | sed -n '/^Commands:/,/^$/p' | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p' | grep -v '^help$')
[ -n "$cmds" ] || { echo "FAIL: no commands in truepoint --help"; exit 1; }
for c in $cmds; do
    if grep -q "^\.SS $c\( \|$\)" "$man"; then
        echo "PASS: man page documents '$c'"
    else
        echo "FAIL: man page has no .SS section for '$c'"
        fail=1
    fi
done
for s in $(sed -n 's/^\.SS \([a-z][a-z]*\).*/\1/p' "$man"); do
    if ! printf '%s\n' $cmds | grep -qx "$s"; then
        echo "FAIL: man page documents '$s', which truepoint --help does not list"
        fail=1
    fi
done
got=$(printf '1 1 2\n0x3f800000 0x40000000\n0x40400000\n0x40800000\n' | "$T" gemm -a f32 -b f32)
if [ "$got" = "0x41300000" ]; then
    echo "PASS: the man page's gemm example gives 0x41300000"
else
    echo "FAIL: the man page's gemm example gives '$got'"
    fail=1
fi
if command -v groff > /dev/null 2>&1; then
    if groff -man -Tutf8 -ww -z "$man" 2>&1 | grep . ; then
        echo "FAIL: groff warns about $man"
        fail=1
    else
        echo "PASS: groff formats $man without warnings"
    fi
fi
exit $fail
