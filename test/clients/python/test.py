"""psycopg 3 clients of woes through PgBouncer in transaction pooling mode.

Run by test/sh/clients.sh with Debian's /usr/bin/python3 (python3-psycopg),
which starts PgBouncer and writes the configuration this reads
(WOES_CLIENTS_CONFIG: PgBouncer's address, the role, the workspaces with
their operators, contact and a conversation).  Prints one line per check and
"python summary: N checks passed, N failed"; exits 1 on any failure.

Prepared statements.  PgBouncer before 1.21 does not track prepared
statements, and psycopg 3 prepares a statement on the server by itself once
it has run it prepare_threshold times (default 5) on a connection, and then
executes it by name.  In transaction mode the next transaction may run on
another server connection, where that statement does not exist: it fails
with 26000 (prepared statement "_pg3_..." does not exist), or with 42P05
when the name is already taken there.  So every connection here is made
with prepare_threshold=None (never prepare): each query is then sent as an
unnamed statement (Parse, Bind, Execute, Sync together), which is safe
behind any pooler.  The last part of this file shows the failure with
preparation on, for information only (nothing is asserted on it).
"""
import json
import os
import sys
import threading
import time

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

cfg = json.load(open(os.environ["WOES_CLIENTS_CONFIG"]))
DRIVER = "python"
WA, WB = cfg["workspaces"]
TX = cfg["transactions"]
# woes in shared_preload_libraries: the "cold" server connections have it loaded already
COLD = ("as the first statement of a new server connection (woes preloaded)" if cfg["woes_preloaded"]
        else "as the first statement of a new server connection, before it loaded woes")
BEFORE = ("on a new server connection (woes preloaded)" if cfg["woes_preloaded"]
          else "before the server connection loaded woes")

passed = 0
failed = 0
_lock = threading.Lock()


def ok(name):
    global passed
    passed += 1
    print(f"ok   - python: {name}", flush=True)


def fail(name, detail=""):
    global failed
    failed += 1
    print(f"FAIL - python: {name}" + (f": {detail}" if detail else ""), flush=True)


def check(cond, name, detail=""):
    ok(name) if cond else fail(name, detail)
    return cond


def info(text):
    print(f"info - python: {text}", flush=True)


def connect(database=None, prepare_threshold=None):
    # autocommit: BEGIN and COMMIT are sent explicitly, and a statement
    # outside them runs on its own, wherever PgBouncer sends it
    return psycopg.connect(host=cfg["host"], port=cfg["port"], user=cfg["user"], password="",
                           dbname=database or cfg["database"], autocommit=True,
                           prepare_threshold=prepare_threshold, row_factory=dict_row)


def sqlstate(conn, query, params=None):
    """The SQLSTATE of a failed statement (e.sqlstate), or None."""
    try:
        conn.execute(query, params)
        return None
    except psycopg.Error as e:
        return e.sqlstate or f"no sqlstate ({e})"


# What a statement outside any transaction sees: no context, no rows.
OUTSIDE = """SELECT woes.current_workspace()::text AS ws, woes.current_audience()::text AS audience,
                    woes.current_actor()::text AS actor,
                    (SELECT count(*) FROM woes.conversations)::int AS conversations,
                    (SELECT count(*) FROM woes.messages)::int AS messages,
                    pg_backend_pid() AS pid"""


def outside(conn):
    return conn.execute(OUTSIDE).fetchone()


def clean(row):
    return (row["ws"] is None and row["audience"] is None and row["actor"] is None
            and row["conversations"] == 0 and row["messages"] == 0)


# ------------------------------------------------------------------ workload
stats = dict(transactions=0, queries=0, rows=0, outside=0)
violations = {k: [] for k in ("errors", "context", "foreign_rows", "foreign_notes", "missing_notes",
                              "outside_leaks", "rolled_back_seen", "inbox_not_in_conversations")}
pid_clients = {}      # server pid -> clients seen on it
notes_written = {}    # workspace label -> notes committed by clients of it


def client_of(i):
    ws = cfg["workspaces"][i % 2]
    return dict(i=i, ws=ws, op=ws["operators"][(i // 2) % len(ws["operators"])],
                other=cfg["workspaces"][(i + 1) % 2])


def bump(key, n=1):
    with _lock:
        stats[key] += n


def violation(kind, text):
    with _lock:
        violations[kind].append(text)


def seen(pid, i):
    with _lock:
        pid_clients.setdefault(pid, set()).add(i)


def workload(i):
    me = client_of(i)
    ws, op = me["ws"], me["op"]
    my_notes = 0
    with connect() as c:
        assert c.prepare_threshold is None

        def q(query, params=None):
            bump("queries")
            return c.execute(query, params)

        for k in range(TX):
            where = f"client {i} ({ws['label']}) transaction {k}"
            try:
                q("BEGIN")
                q("SELECT woes.set_context(%s, %s, %s)", (ws["id"], "operator", op))
                ctx = q("SELECT woes.current_workspace()::text AS ws, woes.current_actor()::text AS actor,"
                        " pg_backend_pid() AS pid").fetchone()
                seen(ctx["pid"], i)
                if ctx["ws"] != ws["id"] or ctx["actor"] != op:
                    violation("context", f"{where}: {ctx}")

                # a customer's message arrives (intake), the operator replies and notes
                thread = f"{DRIVER}-{i}-{k % 4}"
                mid = q("SELECT woes.receive_message(%s, %s, %s, %s, %s) AS id",
                        ("api", thread, f"customer-{DRIVER}-{i}-{k % 4}", f"customer message {i}/{k}",
                         f"ext-{DRIVER}-{i}-{k}")).fetchone()["id"]
                msg = q("SELECT conversation_id, workspace_id::text AS ws FROM woes.messages WHERE id = %s",
                        (mid,)).fetchall()
                if len(msg) != 1 or msg[0]["ws"] != ws["id"]:
                    violation("foreign_rows", f"{where}: received message {msg}")
                conv = msg[0]["conversation_id"]
                q("SELECT woes.reply(%s, %s)", (conv, f"reply {DRIVER} {i}/{k}"))
                q("SELECT woes.add_note(%s, %s)", (conv, f"note:{DRIVER}:{ws['label']}:{i}:{k}"))
                if k % 5 == 4:
                    q("SELECT woes.resolve(%s, %s)", (conv, "done"))   # the next message reopens it

                # the inbox, the conversations, this conversation's messages, all notes
                inbox = q("SELECT id FROM woes.inbox ORDER BY last_message_at DESC NULLS LAST, id DESC LIMIT 50").fetchall()
                convs = q("SELECT id, workspace_id::text AS ws FROM woes.conversations").fetchall()
                ids = {r["id"] for r in convs}
                for r in convs:
                    if r["ws"] != ws["id"]:
                        violation("foreign_rows", f"{where}: conversation {r}")
                for r in inbox:
                    if r["id"] not in ids:
                        violation("inbox_not_in_conversations", f"{where}: inbox row {r['id']}")
                msgs = q("SELECT workspace_id::text AS ws, visibility::text AS visibility, body"
                         " FROM woes.messages WHERE conversation_id = %s", (conv,)).fetchall()
                for r in msgs:
                    if r["ws"] != ws["id"]:
                        violation("foreign_rows", f"{where}: message {r}")
                contacts = q("SELECT workspace_id::text AS ws FROM woes.contacts").fetchall()
                for r in contacts:
                    if r["ws"] != ws["id"]:
                        violation("foreign_rows", f"{where}: contact {r}")
                notes = q("SELECT workspace_id::text AS ws, body FROM woes.messages WHERE visibility::text = 'internal'").fetchall()
                own = 0
                for r in notes:
                    parts = r["body"].split(":")
                    if r["ws"] != ws["id"] or (r["body"].startswith("note:") and parts[2] != ws["label"]):
                        violation("foreign_notes", f"{where}: {r}")
                    if r["body"].startswith("rolledback:"):
                        violation("rolled_back_seen", f"{where}: {r['body']}")
                    if r["body"].startswith("note:") and parts[1] == DRIVER and parts[3] == str(i):
                        own += 1
                if own != my_notes + 1:
                    violation("missing_notes", f"{where}: sees {own} of its {my_notes + 1} notes")
                bump("rows", len(inbox) + len(convs) + len(msgs) + len(contacts) + len(notes))
                q("COMMIT")
                my_notes += 1
                with _lock:
                    notes_written[ws["label"]] = notes_written.get(ws["label"], 0) + 1
                bump("transactions")

                # every few transactions one that rolls back: its note never shows
                if k % 7 == 3:
                    q("BEGIN")
                    q("SELECT woes.set_context(%s, %s, %s)", (ws["id"], "operator", op))
                    q("SELECT woes.add_note(%s, %s)", (conv, f"rolledback:{DRIVER}:{ws['label']}:{i}:{k}"))
                    q("ROLLBACK")
                # and one that forgets to set the context: it acts for nobody
                if k % 6 == 2:
                    q("BEGIN")
                    r = q(OUTSIDE).fetchone()
                    q("COMMIT")
                    seen(r["pid"], i)
                    bump("outside")
                    if not clean(r):
                        violation("outside_leaks", f"{where}: a transaction without set_context saw {r}")
                # outside a transaction (autocommit, so any server connection): nothing
                r = q(OUTSIDE).fetchone()
                seen(r["pid"], i)
                bump("outside")
                if not clean(r):
                    violation("outside_leaks", f"{where}: after COMMIT saw {r}")
            except Exception as e:   # noqa: BLE001 -- any error is a violation; go on
                violation("errors", f"{where}: {getattr(e, 'sqlstate', '')} {e}")
                try:
                    c.execute("ROLLBACK")
                except psycopg.Error:
                    pass


def report(kind, name):
    v = violations[kind]
    check(not v, name, f"{len(v)} violation(s), e.g. {' | '.join(map(str, v[:3]))}" if v else "")


def run_workload():
    n = cfg["clients"]
    t0 = time.time()
    demo = {}
    threads = [threading.Thread(target=workload, args=(i,)) for i in range(n)]
    threads.append(threading.Thread(target=prepared_demo, args=(demo,)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    info(f"{n} clients x {TX} transactions in {int((time.time() - t0) * 1000)} ms, {stats['queries']} queries, {stats['rows']} rows read")
    report("errors", f"{n} clients x {TX} transactions of the workflow (set_context, receive_message, reply, add_note, resolve, inbox, messages) without an error")
    check(stats["transactions"] == n * TX, f"all {n * TX} transactions committed", f"{stats['transactions']} committed")
    report("context", "inside each transaction the context is the client's own workspace and operator")
    report("foreign_rows", f"every row read (conversations, inbox, messages, contacts: {stats['rows']} rows) is of the client's workspace")
    report("inbox_not_in_conversations", "every inbox row is one of the conversations the client can read")
    report("foreign_notes", "no note of another workspace is ever visible")
    report("missing_notes", "each client sees every note it wrote, in every transaction")
    report("rolled_back_seen", "a rolled-back note is never visible")
    report("outside_leaks", f"outside a transaction or without set_context ({stats['outside']} statements): no context, 0 conversations, 0 messages")
    check(not violations["errors"],
          f"prepare_threshold=None: {stats['queries']} queries in {stats['transactions']} transactions (each statement run far more than"
          " the default threshold of 5 times per connection) through transaction pooling, no error",
          violations["errors"][0] if violations["errors"] else "")

    most = max(len(s) for s in pid_clients.values())
    check(len(pid_clients) <= cfg["pool_size"] and most >= 2,
          f"{n} clients ran on {len(pid_clients)} server connection(s) (pool of {cfg['pool_size']}); one served {most} different clients",
          str({p: sorted(s) for p, s in pid_clients.items()}))

    # at the end, every client once more, each in a transaction of its own
    final = []
    for i in range(n):
        me = client_of(i)
        with connect() as c:
            c.execute("BEGIN")
            c.execute("SELECT woes.set_context(%s, %s, %s)", (me["ws"]["id"], "operator", me["op"]))
            r = c.execute("""SELECT count(*) FILTER (WHERE body LIKE %s)::int AS own_ws,
                                    count(*) FILTER (WHERE body LIKE %s)::int AS other_ws,
                                    count(*) FILTER (WHERE workspace_id <> %s)::int AS foreign_rows
                               FROM woes.messages WHERE visibility::text = 'internal'""",
                          (f"note:{DRIVER}:{me['ws']['label']}:%", f"note:%:{me['other']['label']}:%", me["ws"]["id"])).fetchone()
            c.execute("COMMIT")
            want = notes_written.get(me["ws"]["label"], 0)
            if r["own_ws"] != want or r["other_ws"] != 0 or r["foreign_rows"] != 0:
                final.append(f"client {i}: {r}, expected own_ws {want}")
            o = outside(c)
            if not clean(o):
                final.append(f"client {i} outside: {o}")
    check(not final, f"at the end each client sees exactly the {' + '.join(map(str, notes_written.values()))} notes of its own"
          " workspace, none of the other, and no context outside", " | ".join(final[:3]))
    return demo


# -------------------------------------------------------------------- errors
def errors():
    ca, cb = WA["conversation"], WB["conversation"]
    with connect() as c:
        def after(what):
            r = outside(c)
            if not clean(r):
                fail(f"no context after {what}", str(r))

        def in_tx(fn):
            c.execute("BEGIN")
            try:
                return fn()
            finally:
                c.execute("ROLLBACK")

        def ctx(ws, audience, actor=None):
            c.execute("SELECT woes.set_context(%s, %s, %s)", (ws, audience, actor))

        s = sqlstate(c, "SELECT woes.add_note(%s, %s)", (ca, "no context"))
        check(s == "WO001", "WO001: woes.add_note() without a context (autocommit)", f"got {s}")
        s = sqlstate(c, "INSERT INTO woes.messages (conversation_id, body) VALUES (%s, 'raw')", (ca,))
        check(s == "WO001", "WO001: a raw INSERT INTO woes.messages without a context", f"got {s}")
        after("WO001")

        s = in_tx(lambda: (ctx(WA["id"], "customer", WA["contact"]), sqlstate(c, "SELECT woes.add_note(%s, %s)", (ca, "customer note")))[1])
        check(s == "WO003", "WO003: the customer audience calling woes.add_note() (operator, agent, admin only)", f"got {s}")
        s = in_tx(lambda: (ctx(WA["id"], "customer", WA["contact"]), sqlstate(c, "SELECT woes.take_over(%s)", (ca,)))[1])
        check(s == "WO003", "WO003: the customer audience calling woes.take_over()", f"got {s}")
        s = in_tx(lambda: sqlstate(c, "SELECT woes.set_context(%s, %s)", (WA["id"], "admin")))
        check(s == "WO003", "WO003: a woes_service member asking for the admin audience", f"got {s}")
        n = in_tx(lambda: (ctx(WA["id"], "customer", WA["contact"]),
                           c.execute("SELECT count(*)::int AS n FROM woes.messages WHERE visibility::text <> 'public'").fetchone()["n"])[1])
        check(n == 0, "the customer audience reads no note (raw SELECT on woes.messages)", f"saw {n}")
        after("WO003")

        s = in_tx(lambda: sqlstate(c, "SELECT woes.set_context(%s, %s, %s)", (WA["id"], "operator", WB["operators"][0])))
        check(s == "WO004", "WO004: set_context with an operator of the other workspace", f"got {s}")
        s = in_tx(lambda: (ctx(WA["id"], "operator", WA["operators"][0]), sqlstate(c, "SELECT woes.add_note(%s, %s)", (cb, "into B from A")))[1])
        check(s == "WO005", "WO005: a note on a conversation of the other workspace", f"got {s}")

        def closed_reopen():
            ctx(WA["id"], "operator", WA["operators"][0])
            conv = c.execute("SELECT woes.start_conversation(%s, 'api', 'to close') AS id", (WA["contact"],)).fetchone()["id"]
            c.execute("SELECT woes.close(%s)", (conv,))
            return sqlstate(c, "SELECT woes.reopen(%s)", (conv,))
        s = in_tx(closed_reopen)
        check(s == "WO101", "WO101: reopening a closed conversation", f"got {s}")
        after("WO004/WO005/WO101")
        ok("no context after each refused call and ROLLBACK")


# ----------------------------------------------------- session-level context
# One client (the attacker, acting for A) tries to leave a context on its
# server connection; then another client (acting for B) is handed that same
# server connection -- certain here: these databases have a pool of one --
# and must act for nobody outside its own transactions.
def pinned(name):
    return connect(f"pin_{DRIVER}_{name}"), connect(f"pin_{DRIVER}_{name}")


def victim(label, b, attacker_pid):
    """The same server connection as the attacker; no context and no rows in
    a statement of its own, in a transaction of its own, and after a
    transaction with its own context (where a session value would come back)."""
    r1 = outside(b)
    check(r1["pid"] == attacker_pid, f"{label}: the next client got the same server connection (pid {r1['pid']})",
          f"attacker {attacker_pid}, victim {r1['pid']}")
    b.execute("BEGIN")
    r2 = outside(b)
    b.execute("COMMIT")
    b.execute("BEGIN")
    b.execute("SELECT woes.set_context(%s, %s, %s)", (WB["id"], "operator", WB["operators"][0]))
    own = b.execute("SELECT count(*) FILTER (WHERE workspace_id <> %s)::int AS foreign_rows, count(*)::int AS n"
                    " FROM woes.conversations", (WB["id"],)).fetchone()
    b.execute("COMMIT")
    r3 = outside(b)
    return check(clean(r1) and clean(r2) and clean(r3) and own["foreign_rows"] == 0,
                 f"{label}: the next client acts for nobody outside its own transactions (no context, 0 rows)"
                 " and sees only its workspace inside",
                 f"statement {r1}; transaction {r2}; own {own}; after own {r3}")


def first_error(c, statements):
    for st in statements:
        s = sqlstate(c, *st) if isinstance(st, tuple) else sqlstate(c, st)
        if s:
            return s
    return None


def rollback(c):
    try:
        c.execute("ROLLBACK")
    except psycopg.Error:
        pass


def set_stmt(name, value):
    # SET takes no parameters: the value goes in as a literal
    return sql.SQL("SET {} = {}").format(sql.Identifier(*name.split(".")), sql.Literal(value))


def section(name, fn):
    """A part that raises is one failure; the next part still runs."""
    try:
        return fn()
    except Exception as e:   # noqa: BLE001 -- report anything, go on
        fail(f"{name}: unexpected error", f"{getattr(e, 'sqlstate', '')} {e}")
        return None


def session_ctx_local_false():
    a, b = pinned("warm_ctx")
    with a, b:
        pid = a.execute("SELECT pg_backend_pid() AS pid, woes.current_workspace()").fetchone()["pid"]
        s = sqlstate(a, "SELECT woes.set_context(%s, %s, %s, local => false)", (WA["id"], "operator", WA["operators"][0]))
        check(s == "WO003", "set_context(..., local => false) by a woes_service member (autocommit) is refused with WO003", f"got {s}")
        r = outside(a)
        check(clean(r), "set_context(..., local => false) refused: no context left in the session", str(r))
        a.execute("BEGIN")
        s = sqlstate(a, "SELECT woes.set_context(%s, %s, %s, local => false)", (WA["id"], "operator", WA["operators"][0]))
        s = s or sqlstate(a, "COMMIT")
        rollback(a)
        check(s == "WO003", "set_context(..., local => false) inside a transaction is refused with WO003 (at the call or at COMMIT)", f"got {s}")
        r = outside(a)
        check(clean(r), "set_context(..., local => false) inside a transaction: no context left after it", str(r))
        victim("after set_context(local => false)", b, pid)


def session_set_warm():
    a, b = pinned("warm_set")
    with a, b:
        pid = a.execute("SELECT pg_backend_pid() AS pid, woes.current_workspace()").fetchone()["pid"]
        s = sqlstate(a, set_stmt("woes.workspace", WA["id"]))
        check(s == "WO003", "SET woes.workspace (session, autocommit) by a woes_service member is refused with WO003", f"got {s}")
        s2 = sqlstate(a, set_stmt("woes.audience", "operator"))
        info(f"SET woes.audience = 'operator' (session, autocommit): {s2 or 'accepted'}")
        r = outside(a)
        check(clean(r), "after the refused session SETs the attacker itself has no context", str(r))
        a.execute("BEGIN")
        s = first_error(a, [set_stmt("woes.workspace", WA["id"]), set_stmt("woes.audience", "operator"),
                            set_stmt("woes.actor", WA["operators"][0]), "COMMIT"])
        rollback(a)
        check(s == "WO003", "SET woes.workspace (session) inside a transaction is refused with WO003 (at the SET or at COMMIT)", f"got {s}")
        r = outside(a)
        check(clean(r), "after the refused transaction the attacker has no context", str(r))
        s = sqlstate(a, "SELECT set_config(%s, %s, false), set_config(%s, %s, false)", ("woes.workspace", WA["id"], "woes.audience", "operator"))
        info(f"set_config('woes.workspace', ..., false) (session, autocommit): {s or 'accepted'}")
        victim("after session SETs", b, pid)


# The same on a server connection that has not loaded woes yet: the SET is
# the first statement it runs.  PostgreSQL keeps it as a placeholder setting
# (a member of woes_service may SET it: it was granted SET on the parameter)
# and, when the library loads on the victim's first woes call, applies the
# committed value to the real setting as a session value (guc.c,
# define_custom_variable), not as a change of the current transaction, so a
# check at commit does not see it.  With woes in shared_preload_libraries the
# library is loaded before any SET.
def session_set_cold_auto():
    a, b = pinned("cold_auto")
    with a, b:
        s = first_error(a, [set_stmt("woes.workspace", WA["id"]), set_stmt("woes.audience", "operator")])
        info(f"session SET woes.workspace/audience {COLD}: {s or 'accepted'}")
        pid = a.execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"]
        victim(f"after session SETs {BEFORE} (autocommit)", b, pid)


def session_set_cold_tx():
    a, b = pinned("cold_tx")
    with a, b:
        a.execute("BEGIN")
        s = first_error(a, [set_stmt("woes.workspace", WA["id"]), set_stmt("woes.audience", "operator"), "COMMIT"])
        rollback(a)
        info(f"BEGIN; SET woes.workspace/audience; COMMIT {COLD}: {s or 'accepted'}")
        pid = a.execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"]
        victim(f"after a transaction of session SETs {BEFORE}", b, pid)


def session_set_config_cold():
    a, b = pinned("cold_config")
    with a, b:
        s = sqlstate(a, "SELECT set_config(%s, %s, false), set_config(%s, %s, false)", ("woes.workspace", WA["id"], "woes.audience", "operator"))
        info(f"set_config(woes.workspace/audience, ..., false) {COLD}: {s or 'accepted'}")
        pid = a.execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"]
        victim(f"after set_config(..., false) {BEFORE}", b, pid)


# woes.reason is an ordinary (user-settable) setting: a session-level value
# would stay on the server connection, and PgBouncer would hand it to the
# next client: woes refuses it at commit, or discards it when the library
# loads on a connection that had not loaded it yet.
def reason_probe():
    a, b = pinned("reason")
    with a, b:
        sqlstate(a, set_stmt("woes.reason", f"reason set by the client of {WA['label']}"))
        b.execute("BEGIN")
        b.execute("SELECT woes.set_context(%s, %s, %s)", (WB["id"], "operator", WB["operators"][0]))
        b.execute("UPDATE woes.conversations SET status = 'pending' WHERE id = %s", (WB["conversation"],))
        r = b.execute("SELECT reason FROM woes.status_events WHERE conversation_id = %s ORDER BY id DESC LIMIT 1",
                      (WB["conversation"],)).fetchone()
        b.execute("ROLLBACK")
        got = r and r["reason"]
        check(not got, "a session-level SET woes.reason by one client is never recorded by the next client's raw UPDATE",
              f'recorded: "{got}"' if got else "")
        sqlstate(a, "RESET woes.reason")


# ------------------------------------------------ preparation on (information)
# psycopg's default behaviour behind PgBouncer < 1.21 in transaction mode:
# prepare_threshold=0 prepares every statement on first use, on the server
# connection of that moment, and executes it by name afterwards.  Runs while
# the workload keeps the pool busy; the outcome is printed, not asserted.
def prepared_demo(out):
    try:
        with connect(prepare_threshold=0) as c:
            for k in range(30):
                try:
                    c.execute("SELECT woes.current_workspace() AS ws, %s::int AS k", (k,))
                    out["ok"] = out.get("ok", 0) + 1
                except psycopg.Error as e:
                    out[e.sqlstate] = out.get(e.sqlstate, 0) + 1
                time.sleep(0.005)
    except Exception as e:   # noqa: BLE001 -- information only
        out["error"] = str(e)


def main():
    demo = section("workload", run_workload)
    if demo is not None:
        info(f"30 executions with prepare_threshold=0 beside the workload: {demo}"
             " (26000: prepared statement does not exist on the server connection it landed on;"
             " 42P05: the name already exists there)")
    section("errors", errors)
    section("session-level context (warm_ctx)", session_ctx_local_false)
    section("session-level context (warm_set)", session_set_warm)
    section("session-level context (cold_auto)", session_set_cold_auto)
    section("session-level context (cold_tx)", session_set_cold_tx)
    section("session-level context (cold_config)", session_set_config_cold)
    section("woes.reason probe", reason_probe)
    print(f"python summary: {passed} checks passed, {failed} failed", flush=True)
    sys.exit(0 if failed == 0 and passed > 0 else 1)


if __name__ == "__main__":
    main()
