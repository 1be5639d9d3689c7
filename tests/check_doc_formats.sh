#!/bin/sh
# check_doc_formats.sh -- doc/formats.md holds exactly the table that
# `truepoint formats --markdown` prints (regenerate with make doc-formats).
top_srcdir=${top_srcdir:-$(dirname "$0")/..}
top_builddir=${top_builddir:-.}
doc=$top_srcdir/doc/formats.md
T=$top_builddir/truepoint
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check_docfmt.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
"$T" formats --markdown > "$tmp/gen" || { echo "FAIL: $T formats --markdown"; exit 1; }
sed -n '/^<!-- generated: truepoint formats --markdown -->$/,/^<!-- end generated -->$/p' "$doc" \
    | sed '1d;$d' > "$tmp/doc"
if [ ! -s "$tmp/doc" ]; then
    echo "FAIL: no generated table between the markers of $doc"
    exit 1
fi
if cmp -s "$tmp/gen" "$tmp/doc"; then
    echo "PASS: doc/formats.md matches truepoint formats --markdown ($(wc -l < "$tmp/gen") lines)"
    exit 0
fi
echo "FAIL: doc/formats.md differs from the library's table (run make doc-formats):"
diff "$tmp/doc" "$tmp/gen"
exit 1
