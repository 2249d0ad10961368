#!/usr/bin/env bash
# One version source: default_version in woes.control, the version in
# development.  META.json (PGXN meta-spec 1.0.0) must carry the same version
# at the top and for the woes extension it provides, CHANGELOG.md's top entry
# and the upstream part of debian/changelog's top entry must be it too (both
# unreleased, or both released), every release in CHANGELOG.md must have its
# debian/changelog entry, and the installed extension must offer it too.  Every kept release script
# (releases/woes--V.sql) is an earlier version, unchanged since its release
# (releases/SHA256SUMS), and has an upgrade path to default_version through
# the upgrade scripts (src/sql/woes--A--B.sql), which the installed
# extension offers too.
set -uo pipefail
cd "$(dirname "$0")/../.."
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

control_version=$(sed -n "s/^default_version *= *'\(.*\)'.*/\1/p" woes.control)
[ -n "$control_version" ] || { echo "FAIL: no default_version in woes.control"; exit 1; }
echo "woes.control default_version: $control_version"

if [ ! -f META.json ]; then
    echo "FAIL: META.json is missing (PGXN meta-spec 1.0.0, version $control_version expected)"
    exit 1
fi

# perl's core JSON::PP: no extra package needed
fields=$(perl -MJSON::PP -e '
    local $/; open my $fh, "<", "META.json" or die "cannot read META.json: $!\n";
    my $m = eval { JSON::PP->new->decode(<$fh>) } or die "META.json is not valid JSON: $@";
    my $p = ($m->{provides} // {})->{woes} // {};
    print join("\n", map { defined $_ ? $_ : "" }
        $m->{name}, $m->{version}, $p->{version}, $p->{file},
        ($m->{"meta-spec"} // {})->{version}), "\n";
') || { echo "FAIL: META.json could not be read"; exit 1; }
{ read -r name; read -r version; read -r provides_version; read -r provides_file; read -r spec; } <<< "$fields"

echo "META.json: name=$name version=$version provides.woes.version=$provides_version meta-spec=$spec"
[ "$name" = woes ] || fail "META.json name is '$name', expected 'woes'"
[ "$version" = "$control_version" ] || fail "META.json version $version differs from woes.control $control_version"
[ "$provides_version" = "$control_version" ] ||
    fail "META.json provides.woes.version '$provides_version' differs from woes.control $control_version"
[ "$spec" = 1.0.0 ] || fail "META.json meta-spec version is '$spec', expected 1.0.0"
if [ -n "$provides_file" ] && [ ! -e "$provides_file" ]; then
    fail "META.json provides.woes.file $provides_file does not exist"
fi

# CHANGELOG.md: "## X.Y.Z (unreleased)" or "## X.Y.Z (YYYY-MM-DD)", newest first
changelog_top=$(grep -m1 '^## ' CHANGELOG.md 2>/dev/null)
changelog_version=$(sed -n 's/^## \([^ ]*\).*/\1/p' <<< "$changelog_top")
echo "CHANGELOG.md top entry: ${changelog_top:-none}"
[ "$changelog_version" = "$control_version" ] ||
    fail "CHANGELOG.md's top entry is '${changelog_version:-none}', not woes.control's $control_version"
case "$changelog_top" in
    *"(unreleased)"*) changelog_released=no ;;
    *"("[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]")"*) changelog_released=yes ;;
    *) changelog_released=; fail "CHANGELOG.md's top entry is neither '(unreleased)' nor dated '(YYYY-MM-DD)': $changelog_top" ;;
esac

# debian/changelog: "woes (EPOCH:UPSTREAM-REVISION) DISTRIBUTION; urgency=..."
if [ ! -f debian/changelog ]; then
    fail "debian/changelog is missing"
else
    debian_top=$(head -1 debian/changelog)
    debian_upstream=$(sed -n '1s/^woes (\([0-9]*:\)\{0,1\}\([^)]*\)-[^-)]*) .*/\2/p' debian/changelog)
    debian_dist=$(sed -n '1s/^[^ ]* ([^)]*) \([^;]*\);.*/\1/p' debian/changelog)
    echo "debian/changelog top entry: $debian_top"
    [ "$debian_upstream" = "$control_version" ] ||
        fail "debian/changelog's top entry is upstream version '${debian_upstream:-none}' (from '$debian_top'), not woes.control's $control_version"
    case "$changelog_released:$debian_dist" in
        no:UNRELEASED) ;;
        no:*) fail "CHANGELOG.md's $control_version is unreleased, but debian/changelog's entry is for '$debian_dist' (UNRELEASED expected)" ;;
        yes:UNRELEASED) fail "CHANGELOG.md's $control_version is released, but debian/changelog's entry is still UNRELEASED" ;;
    esac
    # every version CHANGELOG.md lists has a debian/changelog entry, and the
    # other way round
    upstream_versions=$(sed -n 's/^## \([0-9][^ ]*\).*/\1/p' CHANGELOG.md | sort -uV | tr '\n' ' ')
    debian_versions=$(sed -n 's/^woes (\([0-9]*:\)\{0,1\}\([^)]*\)-[^-)]*) .*/\2/p' debian/changelog | sort -uV | tr '\n' ' ')
    echo "versions in CHANGELOG.md: $upstream_versions; in debian/changelog: $debian_versions"
    [ "$upstream_versions" = "$debian_versions" ] ||
        fail "CHANGELOG.md has versions '$upstream_versions', debian/changelog has '$debian_versions'"
fi

# the kept release scripts: earlier versions, never edited, each with an
# upgrade path to the version in development
releases=$(ls releases/woes--*.sql 2>/dev/null | sed -E 's/.*woes--(.*)\.sql$/\1/' | sort -V)
echo "kept releases: ${releases:-none}"
for v in $releases; do
    [ "$(printf '%s\n%s\n' "$v" "$control_version" | sort -V | tail -1)" = "$control_version" ] &&
        [ "$v" != "$control_version" ] ||
        fail "releases/woes--$v.sql is not an earlier version than default_version $control_version"
    step=$v path=$v
    while [ "$step" != "$control_version" ]; do
        next=$(ls src/sql/woes--"$step"--*.sql 2>/dev/null | sed -E 's/.*woes--[^-]+--(.*)\.sql$/\1/')
        [ "$(echo "$next" | grep -c .)" = 1 ] || { fail "no single upgrade script src/sql/woes--$step--*.sql (on the way from $v to $control_version)"; break; }
        step=$next path="$path -> $step"
        [ "$(echo "$path" | wc -w)" -lt 40 ] || { fail "the upgrade path from $v loops"; break; }
    done
    echo "upgrade path: $path"
done
if [ -n "$releases" ]; then
    if [ ! -f releases/SHA256SUMS ]; then
        fail "releases/SHA256SUMS is missing"
    else
        for v in $releases; do
            grep -q " releases/woes--$v.sql\$" releases/SHA256SUMS || fail "releases/SHA256SUMS has no line for releases/woes--$v.sql"
        done
        sha256sum --quiet -c releases/SHA256SUMS >/dev/null 2>&1 ||
            fail "a kept release script was edited: $(sha256sum --quiet -c releases/SHA256SUMS 2>&1 | tr '\n' ' ')"
    fi
fi

# the installed extension (the cluster in PG*, when there is one) offers the
# same version, and the kept releases with their upgrade paths
if command -v psql >/dev/null 2>&1 && psql -X -q -At -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
    installed=$(psql -X -q -At -d postgres -c "SELECT default_version FROM pg_available_extensions WHERE name = 'woes'")
    echo "installed default_version: ${installed:-none}"
    [ "$installed" = "$control_version" ] || fail "the installed woes offers version '${installed:-none}', not $control_version"
    for v in $releases; do
        p=$(psql -X -q -At -d postgres -c "SELECT path FROM pg_extension_update_paths('woes')
                                            WHERE source = '$v' AND target = '$control_version'")
        echo "installed upgrade path from $v: ${p:-none}"
        [ -n "$p" ] || fail "the installed woes has no upgrade path from $v to $control_version"
    done
fi

[ "$failures" -eq 0 ] || { echo "meta_version: $failures failure(s)"; exit 1; }
echo "meta_version: ok"
