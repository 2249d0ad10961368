#!/usr/bin/env bash
# The PGXN distribution: `make dist` makes woes-VERSION.zip (VERSION from
# woes.control) whose files all sit under one top directory woes-VERSION/,
# with META.json, woes.control, Makefile, the sources and the tests, and no
# build output, Debian packaging or package build files (debian/, build-NN/,
# *.o, *.so, *.deb, results/ ...).  make dist runs out of the tree, in a
# temporary directory, so the tree is left as it was.  It archives the commit
# at HEAD (git archive), so it needs a git checkout: in a copy without .git
# it says it is skipped and passes.
#
# Then the check itself: zips with two top directories, without META.json,
# with build files, or of another version must fail it.
#
#   test/sh/dist_layout.sh            make dist, check the zip, then the self-test
#   test/sh/dist_layout.sh ZIP        check ZIP only
set -uo pipefail
cd "$(dirname "$0")/../.."
src=$(pwd)
version=$(sed -n "s/^default_version *= *'\(.*\)'.*/\1/p" woes.control)
[ -n "$version" ] || { echo "FAIL: no default_version in woes.control"; exit 1; }

# check ZIP: prints "FAIL: ..." per violation, exits 1 if any
check() {
    local zip=$1 top="woes-$version" names bad=0
    names=$(python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$zip") ||
        { echo "FAIL: $zip is not a zip file"; return 1; }
    [ "$(basename "$zip")" = "$top.zip" ] || { echo "FAIL: $(basename "$zip") is not named $top.zip"; bad=1; }
    local tops
    tops=$(sed 's|/.*||' <<< "$names" | sort -u | tr '\n' ' ')
    [ "$tops" = "$top " ] || { echo "FAIL: $zip's top level is '$tops', expected the one directory $top/"; bad=1; }
    local f
    for f in META.json woes.control Makefile LICENSE README.md CHANGELOG.md src/woes.c \
             $(cd "$src" && ls releases/woes--*.sql src/sql/*.sql sql/*.sql expected/*.out); do
        grep -qxF "$top/$f" <<< "$names" || { echo "FAIL: $zip has no $top/$f"; bad=1; }
    done
    local junk
    junk=$(grep -E "^[^/]+/(debian/|build-[0-9]+/|results/|tmp_check/|log/|test/output_iso/|regression\.(diffs|out)$|woes--$version\.sql$)|\.(o|so|bc|deb|changes|buildinfo|zip)$|/\.git(/|$)" <<< "$names")
    [ -z "$junk" ] || { echo "FAIL: $zip holds build output or packaging files:"; sed 's/^/  /' <<< "$junk" | head -20; bad=1; }
    # META.json inside names this version
    local meta_version
    meta_version=$(python3 -c 'import sys, json, zipfile; print(json.loads(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))["version"])' \
                   "$zip" "$top/META.json" 2>/dev/null)
    [ "$meta_version" = "$version" ] || { echo "FAIL: $zip's META.json has version '${meta_version:-none}', not $version"; bad=1; }
    return $bad
}

if [ $# -ge 1 ]; then
    check "$1"; exit $?
fi

failures=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/woes-dist.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "== make dist (woes $version)"
if ! command -v git >/dev/null 2>&1 || ! git rev-parse --git-dir >/dev/null 2>&1; then
    # (a copy of the tree without .git, as test/root makes: no make dist there)
    echo "dist_layout: skipped: $src is not a git checkout, and make dist archives the commit at HEAD"
    exit 0
fi
[ -z "$(git status --porcelain 2>/dev/null)" ] ||
    echo "(note: the tree has uncommitted changes; make dist archives HEAD without them)"
if ! make -s -C "$tmp" -f "$src/Makefile" PG_CONFIG="${PG_CONFIG:-pg_config}" dist > "$tmp/make.log" 2>&1; then
    cat "$tmp/make.log"; echo "FAIL: make dist failed"; exit 1
fi
zip="$tmp/woes-$version.zip"
[ -f "$zip" ] || { echo "FAIL: make dist made no woes-$version.zip"; ls "$tmp"; exit 1; }
echo "$(basename "$zip"): $(python3 -c 'import sys, zipfile; print(len(zipfile.ZipFile(sys.argv[1]).namelist()))' "$zip") entries"
if check "$zip"; then echo "ok: the zip's layout"; else failures=$((failures + 1)); fi

# The check itself, on zips made wrong on purpose from the good one's files.
echo "== the check on broken zips"
mkdir "$tmp/x" && (cd "$tmp/x" && python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall()' "$zip")
broken() {   # broken EXPECT NAME COMMAND: COMMAND (in a copy of the unpacked tree) then zip as NAME must fail with EXPECT
    local expect=$1 name=$2 cmd=$3 out
    rm -rf "$tmp/y" && cp -a "$tmp/x" "$tmp/y"
    (cd "$tmp/y" && eval "$cmd") || { echo "FAIL: could not make the broken zip: $cmd"; failures=$((failures + 1)); return; }
    rm -f "$tmp/$name"
    (cd "$tmp/y" && python3 -c '
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for d, _, fs in os.walk("."):
        for f in fs: z.write(os.path.join(d, f), os.path.relpath(os.path.join(d, f), "."))' "$tmp/$name")
    if out=$(check "$tmp/$name"); then
        echo "FAIL: the check passes a zip where $cmd"; failures=$((failures + 1))
    elif grep -qF -- "$expect" <<< "$out"; then
        echo "ok: fails: $cmd"
    else
        echo "FAIL: the check did not say \"$expect\" for a zip where $cmd:"; echo "$out"; failures=$((failures + 1))
    fi
}
t="woes-$version"
broken "top level is" "$t.zip" "mkdir other && cp $t/Makefile other/"
broken "top level is" "$t.zip" "cp -a $t/. . && rm -rf $t"
broken "has no $t/META.json" "$t.zip" "rm $t/META.json"
broken "has no $t/woes.control" "$t.zip" "rm $t/woes.control"
broken "build output or packaging" "$t.zip" "mkdir -p $t/debian/tmp $t/build-15/src && touch $t/debian/tmp/x $t/build-15/src/woes.o"
broken "build output or packaging" "$t.zip" "touch $t/woes.so $t/postgresql-15-woes_${version}-1_amd64.deb"
broken "not named $t.zip" "woes-9.9.9.zip" "true"
broken "META.json has version" "$t.zip" "sed -i 's/\"version\": \"$version\"/\"version\": \"9.9.9\"/' $t/META.json"

[ "$failures" -eq 0 ] || { echo "dist_layout: $failures failure(s)"; exit 1; }
echo "dist_layout: ok"
