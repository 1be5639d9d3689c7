#!/bin/sh
# check_version.sh -- the version is the same everywhere:
#   - TP_VERSION_MAJOR/MINOR/PATCH and TP_VERSION_STRING in include/truepoint.h;
#   - the version argument of AC_INIT in configure.ac;
#   - the libtool -version-info of Makefile.am: TP_LT_VERSION has the form
#     current:revision:age (age <= current), and the newest line of the history
#     comment (highest current, then revision) names TP_LT_VERSION and the same
#     package version;
#   - the built library's tp_version_string(), read from
#     `$top_builddir/truepoint --version` when that program exists.
# top_srcdir and top_builddir come from the environment (make check exports
# them).  Nothing is compiled or written.

set -u

me=check_version
top_srcdir=${top_srcdir:-$(dirname "$0")/..}
top_builddir=${top_builddir:-.}
header=$top_srcdir/include/truepoint.h
configure_ac=$top_srcdir/configure.ac
makefile_am=$top_srcdir/Makefile.am

LC_ALL=C
export LC_ALL

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }

for f in "$header" "$configure_ac" "$makefile_am"; do
    if [ ! -r "$f" ]; then
        echo "$me: cannot read $f"
        exit 99
    fi
done

macro() {
    sed -n "s/^#[[:blank:]]*define[[:blank:]][[:blank:]]*$1[[:blank:]][[:blank:]]*\\([^[:blank:]]*\\).*/\\1/p" "$header" | head -n 1
}
major=$(macro TP_VERSION_MAJOR)
minor=$(macro TP_VERSION_MINOR)
patch=$(macro TP_VERSION_PATCH)
string=$(macro TP_VERSION_STRING | sed 's/^"//; s/"$//')
version=$major.$minor.$patch

case "$major$minor$patch" in
    '' | *[!0-9]*) fail "truepoint.h: TP_VERSION_MAJOR/MINOR/PATCH are not numbers ('$major' '$minor' '$patch')" ;;
    *) pass "truepoint.h: TP_VERSION_MAJOR.MINOR.PATCH = $version" ;;
esac
if [ "$string" = "$version" ]; then
    pass "truepoint.h: TP_VERSION_STRING \"$string\" matches the macros"
else
    fail "truepoint.h: TP_VERSION_STRING \"$string\" but the macros say $version"
fi

# AC_INIT([name], [version], ...)
acinit=$(sed -n 's/^AC_INIT(\[[^]]*\],[[:blank:]]*\[\([^]]*\)\].*/\1/p' "$configure_ac" | head -n 1)
if [ "$acinit" = "$version" ]; then
    pass "configure.ac: AC_INIT version $acinit"
else
    fail "configure.ac: AC_INIT version '$acinit', header $version"
fi

# TP_LT_VERSION = c:r:a
lt=$(sed -n 's/^TP_LT_VERSION[[:blank:]]*=[[:blank:]]*\([^[:blank:]]*\).*/\1/p' "$makefile_am" | head -n 1)
if printf '%s\n' "$lt" | grep -q -x '[0-9][0-9]*:[0-9][0-9]*:[0-9][0-9]*'; then
    cur=${lt%%:*}
    age=${lt##*:}
    if [ "$age" -le "$cur" ]; then
        pass "Makefile.am: TP_LT_VERSION $lt has the form current:revision:age"
    else
        fail "Makefile.am: TP_LT_VERSION $lt has age > current"
    fi
else
    fail "Makefile.am: TP_LT_VERSION '$lt' is not current:revision:age"
fi
# shellcheck disable=SC2016 # a literal $(TP_LT_VERSION)
if grep -q -e '-version-info[[:blank:]]*\$(TP_LT_VERSION)' "$makefile_am"; then
    pass "Makefile.am: -version-info uses TP_LT_VERSION"
else
    fail "Makefile.am: no '-version-info \$(TP_LT_VERSION)'"
fi

# History lines: "#   c:r:a  libtruepoint X.Y.Z, ..."; the newest has the
# highest current, then the highest revision.
newest=$(sed -n 's/^#[[:blank:]]*\([0-9][0-9]*:[0-9][0-9]*:[0-9][0-9]*\)[[:blank:]][[:blank:]]*libtruepoint[[:blank:]][[:blank:]]*\([0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*\).*/\1 \2/p' \
    "$makefile_am" | sort -t: -k1,1n -k2,2n | tail -n 1)
if [ -z "$newest" ]; then
    fail "Makefile.am: no history line '#   c:r:a  libtruepoint X.Y.Z' beside -version-info"
else
    hist_lt=${newest% *}
    hist_version=${newest#* }
    if [ "$hist_version" = "$version" ]; then
        pass "Makefile.am: the newest history line names libtruepoint $hist_version"
    else
        fail "Makefile.am: the newest history line names libtruepoint $hist_version, header $version"
    fi
    if [ "$hist_lt" = "$lt" ]; then
        pass "Makefile.am: the newest history line records TP_LT_VERSION $lt"
    else
        fail "Makefile.am: the newest history line records $hist_lt, TP_LT_VERSION is $lt"
    fi
fi

# The built library, through the CLI (tool version, then "libtruepoint X").
cli=$top_builddir/truepoint
if [ -x "$cli" ]; then
    if out=$("$cli" --version 2>&1); then
        lib=$(printf '%s\n' "$out" | sed -n 's/.*libtruepoint \([0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' | head -n 1)
        if [ -z "$lib" ]; then
            fail "truepoint --version does not name the library version: $out"
        elif [ "$lib" = "$version" ]; then
            pass "tp_version_string() of the built library is $lib"
        else
            fail "tp_version_string() of the built library is $lib, header $version"
        fi
    else
        fail "truepoint --version failed: $out"
    fi
else
    echo "SKIP: $cli not built; the library's tp_version_string() is not checked here"
fi

echo "$me: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
