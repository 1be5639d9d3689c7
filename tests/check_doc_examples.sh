#!/bin/sh
# check_doc_examples.sh -- every C snippet (a ```c block) of README.md and
# doc/*.md appears verbatim in a file of doc/examples/ (compared line by
# line, ignoring indentation and blank lines).  make check compiles and runs
# each doc/examples/*.c, so the documented code cannot drift from code that
# builds and does what its comments say.
# top_srcdir comes from the environment (make check exports it).

top_srcdir=${top_srcdir:-$(dirname "$0")/..}
LC_ALL=C
export LC_ALL

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check_doc.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

norm() { # strip indentation and trailing blanks, drop blank lines
    sed 's/^[[:blank:]]*//; s/[[:blank:]]*$//' "$1" | grep -v '^$'
}

for f in "$top_srcdir"/doc/examples/*.c; do
    norm "$f"
done > "$tmp/examples"

pass=0
fail=0
for md in "$top_srcdir"/README.md "$top_srcdir"/doc/*.md; do
    # split the ```c blocks into files snippet.N
    rm -f "$tmp"/snippet.*
    awk -v dir="$tmp" '
        /^```c[[:blank:]]*$/ { n++; inblk = 1; next }
        /^```/ { inblk = 0; next }
        inblk { print > (dir "/snippet." n) }
    ' "$md"
    for s in "$tmp"/snippet.*; do
        [ -f "$s" ] || continue
        norm "$s" > "$tmp/want"
        # is want a contiguous run of lines of the examples?
        if awk 'NR == FNR { w[++nw] = $0; next }
                { line[++nl] = $0 }
                END {
                    for (i = 1; i + nw - 1 <= nl; i++) {
                        ok = 1
                        for (j = 1; j <= nw; j++) if (line[i + j - 1] != w[j]) { ok = 0; break }
                        if (ok) exit 0
                    }
                    exit 1
                }' "$tmp/want" "$tmp/examples"; then
            pass=$((pass + 1))
        else
            fail=$((fail + 1))
            echo "FAIL: a C snippet of ${md#"$top_srcdir"/} is not in doc/examples/:"
            sed 's/^/    /' "$s"
        fi
    done
done
echo "check_doc_examples: $pass snippets found in doc/examples, $fail not"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
