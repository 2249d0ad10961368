#!/usr/bin/env bash
# META.json against the PGXN Meta Spec 1.0.0 (https://pgxn.org/spec/, the
# rules of its JSON schemas, https://github.com/pgxn/meta schema/v1/): the
# required keys and no unknown ones (custom keys start with x_), their types,
# semantic versions, the license names the spec lists, release_status,
# prereqs by phase and relationship with version ranges, resources
# (homepage, bugtracker, repository: url with type, or web), tags, no_index,
# and every file that provides names exists.  The maintainer must be in the
# spec's preferred form, "name <email>".  The canonical validator,
# PGXN::Meta::Validator, is not packaged in Debian; this one is perl with
# its core JSON::PP.
#
# Then the check itself: broken copies of META.json (each one rule broken)
# must fail it, and valid variations must pass it.
#
#   test/sh/pgxn_meta.sh                 META.json of the tree, then the self-test
#   test/sh/pgxn_meta.sh FILE [ROOT]     FILE only (its files relative to ROOT,
#                                        default: FILE's directory)
set -uo pipefail
cd "$(dirname "$0")/../.."

# validate FILE ROOT: prints "FAIL: ..." per violation, exits 1 if any
validate() {
    perl -MJSON::PP -e '
use strict; use warnings;
my ($file, $root) = @ARGV;
my @errors;
sub err { push @errors, join("", @_) }
local $/;
open my $fh, "<", $file or do { print "FAIL: cannot read $file: $!\n"; exit 1 };
my $m = eval { JSON::PP->new->decode(<$fh>) };
if (!defined $m) { print "FAIL: $file is not valid JSON: $@"; exit 1 }
ref $m eq "HASH" or do { print "FAIL: $file is not a JSON object\n"; exit 1 };

my $semver = qr/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
my %licenses = map { $_ => 1 } qw(agpl_3 apache_1_1 apache_2_0 artistic_1 artistic_2 bsd freebsd
    gfdl_1_2 gfdl_1_3 gpl_1 gpl_2 gpl_3 lgpl_2_1 lgpl_3_0 mit mozilla_1_0 mozilla_1_1 openssl perl_5
    postgresql qpl_1_0 ssleay sun zlib open_source restricted unrestricted unknown);
my $custom = qr/^[xX]_./;
sub is_str  { defined $_[0] && !ref $_[0] && !JSON::PP::is_bool($_[0]) }
sub is_obj  { ref $_[0] eq "HASH" }
sub is_arr  { ref $_[0] eq "ARRAY" }
sub is_term { is_str($_[0]) && $_[0] =~ /^[^\/\\\s[:cntrl:]]{2,}$/ }
sub is_uri  { is_str($_[0]) && $_[0] =~ /^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]+$/ }
sub is_email { is_str($_[0]) && $_[0] =~ /^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$/ }
sub show { my $v = shift; defined $v ? (ref $v ? JSON::PP->new->canonical->encode($v) : "\"$v\"") : "null" }
sub keys_ok {   # keys_ok WHERE HASH ALLOWED...: no unknown keys
    my ($where, $h, @allowed) = @_;
    my %ok = map { $_ => 1 } @allowed;
    for (sort keys %$h) { err("$where: unknown key \"$_\" (custom keys start with x_)") unless $ok{$_} || /$custom/ }
}
sub path_ok {   # a relative unix path inside the distribution, existing
    my ($where, $p) = @_;
    if (!is_str($p) || length $p < 2) { err("$where: not a path: ", show($p)); return }
    if ($p =~ m{^/} || $p =~ m{\\} || grep { $_ eq ".." } split m{/}, $p) {
        err("$where: \"$p\" is not a relative unix path inside the distribution"); return;
    }
    err("$where: \"$p\" does not exist in the distribution") unless -e "$root/$p";
}
my $range_one = qr/(?:(?:[=!]=|[<>]=?)\s*)?(?:0|(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)/;
sub range_ok { my $r = shift; is_str($r) && $r =~ /^$range_one(?:\s*,\s*$range_one)*$/ && (!grep { !/$semver/ && $_ ne "0" } map { s/^(?:[=!]=|[<>]=?)\s*//r } split /\s*,\s*/, $r) }

keys_ok("top level", $m, qw(name version abstract description maintainer license provides meta-spec
    generated_by tags no_index prereqs release_status resources));
for (qw(name version abstract maintainer license provides meta-spec)) {
    err("required key \"$_\" is missing") unless exists $m->{$_};
}
err("name: not a term (two or more characters, no slash, backslash, space or control): ", show($m->{name}))
    if exists $m->{name} && !is_term($m->{name});
err("version: not a semantic version (semver.org): ", show($m->{version}))
    if exists $m->{version} && !(is_str($m->{version}) && $m->{version} =~ $semver);
for my $k (qw(abstract description generated_by)) {
    err("$k: not a non-empty string") if exists $m->{$k} && !(is_str($m->{$k}) && length $m->{$k});
}

# maintainer: a string or a non-empty array of unique strings, each "name <email>"
if (exists $m->{maintainer}) {
    my $mt = $m->{maintainer};
    my @list = is_arr($mt) ? @$mt : ($mt);
    err("maintainer: an empty list") if is_arr($mt) && !@$mt;
    my %seen;
    for (@list) {
        if (!is_str($_) || !length) { err("maintainer: not a non-empty string: ", show($_)); next }
        err("maintainer: \"$_\" is listed twice") if $seen{$_}++;
        err("maintainer: \"$_\" is not in the form \"name <email>\"")
            unless /^(.*\S)\s+<([^<>]+)>$/ && is_email($2);
    }
}

# license: a name of the list, a non-empty array of them, or {name: uri}
if (exists $m->{license}) {
    my $l = $m->{license};
    if (is_str($l)) { err("license: \"$l\" is not one of the spec\x27s license names (",
                          join(" ", sort keys %licenses), ") nor an object of URLs") unless $licenses{$l} }
    elsif (is_arr($l)) {
        err("license: an empty list") unless @$l;
        my %seen;
        for (@$l) { err("license: ", show($_), " is not one of the spec\x27s license names") unless is_str($_) && $licenses{$_};
                    err("license: ", show($_), " is listed twice") if is_str($_) && $seen{$_}++ }
    }
    elsif (is_obj($l)) {
        err("license: an empty object") unless %$l;
        for (sort keys %$l) { err("license.$_: not a URL: ", show($l->{$_})) unless is_uri($l->{$_}) }
    }
    else { err("license: must be a string, an array or an object") }
}

# provides: {extension term: {file, version, abstract?, docfile?}}
if (exists $m->{provides}) {
    my $p = $m->{provides};
    if (!is_obj($p) || !%$p) { err("provides: must be a non-empty object") }
    else {
        for my $ext (sort keys %$p) {
            my $e = $p->{$ext};
            err("provides: \"$ext\" is not a term") unless is_term($ext);
            if (!is_obj($e)) { err("provides.$ext: must be an object"); next }
            keys_ok("provides.$ext", $e, qw(file version abstract docfile docpath));
            exists $e->{$_} or err("provides.$ext: required key \"$_\" is missing") for qw(file version);
            err("provides.$ext.version: not a semantic version: ", show($e->{version}))
                if exists $e->{version} && !(is_str($e->{version}) && $e->{version} =~ $semver);
            err("provides.$ext.abstract: not a non-empty string")
                if exists $e->{abstract} && !(is_str($e->{abstract}) && length $e->{abstract});
            path_ok("provides.$ext.file", $e->{file}) if exists $e->{file};
            path_ok("provides.$ext.docfile", $e->{docfile}) if exists $e->{docfile};
        }
    }
}

# meta-spec: {version: 1.0.x, url?}
if (exists $m->{"meta-spec"}) {
    my $s = $m->{"meta-spec"};
    if (!is_obj($s)) { err("meta-spec: must be an object") }
    else {
        for (sort keys %$s) { err("meta-spec: unknown key \"$_\"") unless /^(version|url)$/ || /$custom/ }
        err("meta-spec.version: must be 1.0.x, is ", show($s->{version}))
            unless is_str($s->{version}) && $s->{version} =~ /^1\.0\.\d+$/;
        err("meta-spec.url: must be https://pgxn.org/meta/spec.txt, is ", show($s->{url}))
            if exists $s->{url} && !(is_str($s->{url}) && $s->{url} =~ m{^https?://pgxn\.org/meta/spec\.txt$});
    }
}

if (exists $m->{release_status}) {
    err("release_status: must be stable, testing or unstable, is ", show($m->{release_status}))
        unless is_str($m->{release_status}) && $m->{release_status} =~ /^(stable|testing|unstable)$/;
}

if (exists $m->{tags}) {
    my $t = $m->{tags};
    if (!is_arr($t) || !@$t) { err("tags: must be a non-empty array") }
    else {
        my %seen;
        for (@$t) {
            err("tags: ", show($_), " is not a tag (2 to 255 characters, no slash, backslash or control)")
                unless is_str($_) && /^[^\/\\[:cntrl:]]{2,255}$/;
            err("tags: ", show($_), " is listed twice") if is_str($_) && $seen{$_}++;
        }
    }
}

if (exists $m->{no_index}) {
    my $n = $m->{no_index};
    if (!is_obj($n)) { err("no_index: must be an object") }
    else {
        keys_ok("no_index", $n, qw(file directory));
        err("no_index: needs file or directory") unless exists $n->{file} || exists $n->{directory};
        for my $k (grep { exists $n->{$_} } qw(file directory)) {
            my @l = is_arr($n->{$k}) ? @{$n->{$k}} : ($n->{$k});
            for (@l) { err("no_index.$k: not a relative path: ", show($_))
                           unless is_str($_) && length >= 2 && !m{^/} && !grep { $_ eq ".." } split m{/} }
        }
    }
}

# prereqs: {phase: {relationship: {term: version range}}}
if (exists $m->{prereqs}) {
    my $p = $m->{prereqs};
    if (!is_obj($p)) { err("prereqs: must be an object") }
    else {
        keys_ok("prereqs", $p, qw(configure build test runtime develop));
        err("prereqs: needs a phase (configure, build, test, runtime, develop)")
            unless grep { /^(configure|build|test|runtime|develop)$/ } keys %$p;
        for my $ph (sort grep { !/$custom/ } keys %$p) {
            my $rels = $p->{$ph};
            if (!is_obj($rels)) { err("prereqs.$ph: must be an object"); next }
            keys_ok("prereqs.$ph", $rels, qw(requires recommends suggests conflicts));
            err("prereqs.$ph: needs requires, recommends, suggests or conflicts")
                unless grep { /^(requires|recommends|suggests|conflicts)$/ } keys %$rels;
            for my $rel (sort grep { !/$custom/ } keys %$rels) {
                my $deps = $rels->{$rel};
                if (!is_obj($deps) || !%$deps) { err("prereqs.$ph.$rel: must be a non-empty object"); next }
                for (sort keys %$deps) {
                    err("prereqs.$ph.$rel: \"$_\" is not a term") unless is_term($_);
                    err("prereqs.$ph.$rel.$_: not a version range (\"0\", a semantic version, or operators with them): ",
                        show($deps->{$_})) unless range_ok($deps->{$_});
                }
            }
        }
    }
}

# resources: homepage, bugtracker {web, mailto}, repository {url + type, or web}
if (exists $m->{resources}) {
    my $r = $m->{resources};
    if (!is_obj($r)) { err("resources: must be an object") }
    else {
        keys_ok("resources", $r, qw(homepage bugtracker repository));
        err("resources: needs homepage, bugtracker or repository")
            unless grep { /^(homepage|bugtracker|repository)$/ } keys %$r;
        err("resources.homepage: not a URL: ", show($r->{homepage})) if exists $r->{homepage} && !is_uri($r->{homepage});
        if (exists $r->{bugtracker}) {
            my $b = $r->{bugtracker};
            if (!is_obj($b)) { err("resources.bugtracker: must be an object") }
            else {
                keys_ok("resources.bugtracker", $b, qw(web mailto));
                err("resources.bugtracker: needs web or mailto") unless exists $b->{web} || exists $b->{mailto};
                err("resources.bugtracker.web: not a URL: ", show($b->{web})) if exists $b->{web} && !is_uri($b->{web});
                err("resources.bugtracker.mailto: not an email address: ", show($b->{mailto}))
                    if exists $b->{mailto} && !is_email($b->{mailto});
            }
        }
        if (exists $r->{repository}) {
            my $g = $r->{repository};
            if (!is_obj($g)) { err("resources.repository: must be an object") }
            else {
                keys_ok("resources.repository", $g, qw(url web type));
                err("resources.repository: needs url (with type) or web, has only ",
                    join(", ", sort keys %$g) || "nothing")
                    unless (exists $g->{url} && exists $g->{type}) || exists $g->{web};
                err("resources.repository: url without type") if exists $g->{url} && !exists $g->{type};
                for (qw(url web)) { err("resources.repository.$_: not a URL: ", show($g->{$_})) if exists $g->{$_} && !is_uri($g->{$_}) }
                err("resources.repository.type: not a lowercase word: ", show($g->{type}))
                    if exists $g->{type} && !(is_str($g->{type}) && $g->{type} =~ /^[a-z]+$/);
            }
        }
    }
}

print "FAIL: $file: $_\n" for @errors;
exit(@errors ? 1 : 0);
' "$1" "$2"
}

if [ $# -ge 1 ]; then
    validate "$1" "${2:-$(dirname "$1")}"
    exit $?
fi

failures=0
echo "== META.json"
if validate META.json .; then
    echo "META.json: valid (PGXN Meta Spec 1.0.0)"
else
    failures=$((failures + 1))
fi

# The check itself: each broken copy (one perl statement changing $m) must
# fail with the named message; each valid variation must pass.
echo "== the check on broken and valid copies"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/woes-pgxn-meta.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
variant() {   # variant EXPECT CHANGE: EXPECT is "pass" or a message the check must print
    local expect=$1 change=$2 out status
    perl -MJSON::PP -e 'local $/; open my $fh, "<", "META.json" or die; my $m = JSON::PP->new->decode(<$fh>);
                        eval $ARGV[0]; die $@ if $@; print JSON::PP->new->canonical->pretty->encode($m)' \
        "$change" > "$tmp/META.json" || { echo "FAIL: could not make the variant: $change"; failures=$((failures + 1)); return; }
    out=$(validate "$tmp/META.json" .); status=$?
    if [ "$expect" = pass ]; then
        if [ $status -eq 0 ]; then echo "ok: passes: $change"
        else echo "FAIL: the check refuses a valid META.json ($change):"; echo "$out"; failures=$((failures + 1)); fi
    elif [ $status -ne 0 ] && grep -qF -- "$expect" <<< "$out"; then
        echo "ok: fails: $change"
    else
        echo "FAIL: the check did not find \"$expect\" in a META.json where $change (exit $status):"
        echo "$out"; failures=$((failures + 1))
    fi
}
variant "resources.repository: needs url (with type) or web" '$m->{resources} = {repository => {type => "git"}}'
variant "resources.repository.url: not a URL"  '$m->{resources} = {repository => {type => "git", url => "woes.git"}}'
variant "resources: needs homepage, bugtracker or repository" '$m->{resources} = {}'
variant "version: not a semantic version"      '$m->{version} = "0.2"'
variant "provides.woes.version: not a semantic version" '$m->{provides}{woes}{version} = "v0.2.0"'
variant "license: \"PostgreSQL License\" is not one of" '$m->{license} = "PostgreSQL License"'
variant "license: \"gpl\" is not one of"       '$m->{license} = ["postgresql", "gpl"]'
variant "provides.woes.file: \"woes.ctl\" does not exist" '$m->{provides}{woes}{file} = "woes.ctl"'
variant "is not a relative unix path"          '$m->{provides}{woes}{docfile} = "../README.md"'
variant "provides.woes: required key \"version\" is missing" 'delete $m->{provides}{woes}{version}'
variant "meta-spec.version: must be 1.0.x"     '$m->{"meta-spec"}{version} = "2.0.0"'
variant "release_status: must be stable, testing or unstable" '$m->{release_status} = "beta"'
variant "required key \"maintainer\" is missing" 'delete $m->{maintainer}'
variant "is not in the form \"name <email>\""  '$m->{maintainer} = "woes developers"'
variant "top level: unknown key \"homepage\""  '$m->{homepage} = "https://example.org"'
variant "prereqs.runtime.requires.PostgreSQL: not a version range" '$m->{prereqs}{runtime}{requires}{PostgreSQL} = ">= 15"'
variant "prereqs: unknown key \"install\""     '$m->{prereqs}{install} = {requires => {plpgsql => 0}}'
variant "tags: \"a\" is not a tag"             '$m->{tags} = ["a"]'
variant "name: not a term"                     '$m->{name} = "woes ext"'
variant pass '$m->{resources} = {repository => {url => "https://example.org/woes.git", type => "git", web => "https://example.org/woes"}}'
variant pass '$m->{resources} = {repository => {web => "https://example.org/woes"}, bugtracker => {mailto => q(bugs@example.org)}}'
variant pass '$m->{license} = ["postgresql", "mit"]; $m->{x_woes} = 1; $m->{maintainer} = [q(A <a@example.org>), q(B <b@example.org>)]'
variant pass '$m->{prereqs}{runtime}{requires}{PostgreSQL} = ">= 15.0.0, < 19.0.0"; $m->{version} = "0.2.0-beta.1"'

[ "$failures" -eq 0 ] || { echo "pgxn_meta: $failures failure(s)"; exit 1; }
echo "pgxn_meta: ok"
