# Sourced by the test commands (test/run, demo/run, test/root, test/matrix,
# test/fresh, .ci/run): a TERM, INT or HUP to the command ends everything
# it started, so that a stopped or killed run leaves nothing behind.  The
# throwaway clusters and roots live in namespaces that die with their
# unshare process, a descendant of the command.  Long children run in the
# background and are waited for (bash runs a trap only once a foreground
# child has ended).
descendants() {     # descendants PID: every process below PID
    local c
    for c in $(pgrep -P "$1" 2>/dev/null); do echo "$c"; descendants "$c"; done
}
on_stop() {
    local all
    trap - TERM INT HUP
    all=$(descendants $$)
    # TERM first, for a clean end where there is a handler; then KILL: an
    # unshare --fork ignores TERM while it waits, and only its death (with
    # --kill-child) takes its namespace down with it
    [ -z "$all" ] || kill -TERM $all 2>/dev/null
    sleep 1
    [ -z "$all" ] || kill -KILL $all 2>/dev/null
    exit 143
}
trap on_stop TERM INT HUP
