# Sourced by the shell tests that stop at their first failure
# (direct_update, direct_context_check, direct_outbox, audit_hook, policy_hook):
#
#   fail MESSAGE            print "FAIL: MESSAGE" and exit 1
#   expect WHAT GOT WANT    print "WHAT: GOT"; fail unless GOT is WANT
#   at_least WHAT GOT MIN   print "WHAT: GOT"; fail unless GOT >= MIN
#   one TEXT                TEXT's lines joined by "|", for expect
fail() { echo "FAIL: $*"; exit 1; }
expect() {
    echo "$1: $2"
    [ "$2" = "$3" ] || fail "$1: expected '$3'"
}
at_least() {
    echo "$1: $2"
    [ "$2" -ge "$3" ] || fail "$1: expected at least $3"
}
one() { tr '\n' '|' <<<"$1" | sed 's/|$//'; }
