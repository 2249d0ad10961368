#!/usr/bin/python3
"""A BI tool's sync of woes_bi through psqlODBC (unixODBC, pyodbc), as Excel
and Power BI read it, as the analyst login bound to workspace A.

Run by test/sh/bi_clients.sh with Debian's python3 (python3-pyodbc), which
writes the configuration (a properties file: host, port, database, user,
odbc_driver, workspace_a, views, forbidden_ids, forbidden_key.VIEW.COLUMN,
expected_count.VIEW):

    /usr/bin/python3 test/clients/odbc/bi_sync.py CONFIG

Two passes, each on its own connection: UseServerSidePrepare=1 (psqlODBC's
default: statements and their parameters go through the extended protocol)
and UseServerSidePrepare=0 (psqlODBC puts the parameters into the statement
text itself).  Each pass lists (SQLTables, SQLColumns, SQLPrimaryKeys,
SQLForeignKeys), probes, samples, reads, counts and filters every view of
woes_bi, and scans every value read for SECRET markers and ids of
workspace B.  Prints "ok", "FAIL" and "info" lines and "odbc summary: N
checks passed, M failed"; exits 1 on a failure.
"""
import datetime
import decimal
import re
import sys

import pyodbc

# ODBC SQL data types (sql.h, sqlext.h, sqlucode.h)
SQL_TYPES = {1: "SQL_CHAR", 12: "SQL_VARCHAR", -1: "SQL_LONGVARCHAR", -8: "SQL_WCHAR", -9: "SQL_WVARCHAR",
             -10: "SQL_WLONGVARCHAR", -11: "SQL_GUID", 2: "SQL_NUMERIC", 3: "SQL_DECIMAL", 4: "SQL_INTEGER",
             5: "SQL_SMALLINT", 6: "SQL_FLOAT", 7: "SQL_REAL", 8: "SQL_DOUBLE", -5: "SQL_BIGINT", -6: "SQL_TINYINT",
             -7: "SQL_BIT", 91: "SQL_TYPE_DATE", 92: "SQL_TYPE_TIME", 93: "SQL_TYPE_TIMESTAMP", 9: "SQL_DATE",
             10: "SQL_TIME", 11: "SQL_TIMESTAMP", -2: "SQL_BINARY", -3: "SQL_VARBINARY", -4: "SQL_LONGVARBINARY"}
STRING_TYPES = {1, 12, -1, -8, -9, -10}
NUMBER_TYPES = {2, 3, 4, 5, 6, 7, 8, -5, -6}
TIME_TYPES = {91, 93, 9, 11}
GUID = -11
# Labels a chart filters by: the driver must report them as strings.
LABELS = {"conversation_metrics.status", "conversation_metrics.channel", "response_times.channel",
          "routing_stats.channel", "channels.channel", "status_changes.from_status", "status_changes.to_status",
          "status_changes.actor_kind", "handoffs.kind", "handoffs.from_control", "handoffs.to_control",
          "handoffs.actor_kind", "issue_impact.state", "issue_impact.provider"}
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
REPEAT = 6  # executions of each filter: a dashboard refreshing a filtered card

passed = failed = 0
mode = ""
first_pass = True


def ok(m):
    global passed
    print(f"ok   - [odbc {mode}] {m}", flush=True)
    passed += 1


def fail(m):
    global failed
    print(f"FAIL - [odbc {mode}] {m}", flush=True)
    failed += 1


def info(m):
    print(f"info - [odbc {mode}] {m}", flush=True)


def info1(m):
    """What does not depend on the pass: said in the first pass only."""
    if first_pass:
        info(m)


def clip(s, n=120):
    s = str(s).replace("\n", " ")
    return s if len(s) <= n else s[:n] + "..."


def err(e):
    """An error's SQLSTATE (pyodbc's first argument, as the driver reports it) and message."""
    state = e.args[0] if e.args else "?"
    return f"{state} {clip(e.args[1] if len(e.args) > 1 else e, 200)}"


def q(ident):
    return '"' + ident.replace('"', '""') + '"'


def text(v):
    """A value as a BI tool shows it (and as the scan and the comparisons read it)."""
    if v is None:
        return None
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return str(v)


class Scan:
    """Every string an analyst reads goes through one of these: SECRET markers and ids of workspace B."""

    def __init__(self, cfg):
        self.forbidden = cfg["forbidden_ids"]
        self.values = 0
        self.leaks = []

    def value(self, where, v):
        v = text(v)
        if v is None:
            return
        self.values += 1
        if "secret" in v.lower():
            self.leaks.append(f"{where}: marker text {clip(v)}")
        for m in UUID_RE.findall(v):
            if m.lower() in self.forbidden:
                self.leaks.append(f"{where}: id of workspace B {m}")

    def report(self, what):
        if not self.leaks:
            ok(f"{what}: no SECRET text and no id of workspace B in {self.values} values read")
        else:
            fail(f"{what}: {len(self.leaks)} forbidden values, e.g. {'; '.join(self.leaks[:5])}")


class Col:
    def __init__(self, name, data_type, type_name, remarks):
        self.name, self.type, self.type_name, self.remarks = name, data_type, type_name, remarks

    def is_string(self):
        return self.type in STRING_TYPES

    def is_number(self):
        return self.type in NUMBER_TYPES

    def is_time(self):
        return self.type in TIME_TYPES

    def is_uuid(self):
        return self.type == GUID or self.type_name == "uuid"


def load(path):
    cfg = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if "=" in line and not line.startswith("#"):
                k, v = line.split("=", 1)
                cfg[k] = v
    lst = lambda k: [x for x in cfg.get(k, "").split(",") if x]
    cfg["views"] = lst("views")
    cfg["forbidden_ids"] = {x.lower() for x in lst("forbidden_ids")}
    cfg["forbidden_keys"] = {k[len("forbidden_key."):]: set(lst(k)) for k in list(cfg) if k.startswith("forbidden_key.")}
    return cfg


def type_label(t):
    return SQL_TYPES.get(t, str(t))


# ----------------------------------------------------------------- listing
def listing(conn, cfg):
    scan = Scan(cfg)
    expected = set(cfg["views"])
    cur = conn.cursor()

    # SQLTables in woes_bi, as a tool with the schema woes_bi picked
    tables = {}
    for r in cur.tables(schema="woes_bi").fetchall():
        if r.table_schem != "woes_bi":   # the schema name is a pattern: "_" matches any character
            continue
        tables[r.table_name] = (r.table_type, r.remarks)
        scan.value(f"SQLTables REMARKS of {r.table_name}", r.remarks)
    if set(tables) == expected:
        ok(f"SQLTables(woes_bi) lists the {len(tables)} views of woes_bi")
    else:
        fail(f"SQLTables(woes_bi) lists {sorted(tables)}, expected {sorted(expected)}")
    not_views = sorted(f"{t} ({ty})" for t, (ty, _) in tables.items() if ty != "VIEW")
    if not not_views:
        ok("SQLTables(woes_bi): every relation is a VIEW")
    else:
        fail(f"SQLTables(woes_bi): not views: {not_views}")
    undescribed = sorted(t for t, (_, rm) in tables.items() if not (rm or "").strip())
    if not undescribed:
        ok("SQLTables(woes_bi): every view has REMARKS (its comment)")
    else:
        info1(f"SQLTables(woes_bi): no REMARKS for {len(undescribed)} of {len(tables)} views "
              "(psqlODBC's SQLTables always returns an empty REMARKS)")

    # SQLTables with no schema: what Excel's and Power BI's navigator lists
    by_schema = {}
    for r in cur.tables().fetchall():
        by_schema.setdefault(r.table_schem, []).append((r.table_name, r.table_type))
    info1("SQLTables without a schema lists " + ", ".join(
        f"{s} {len(v)} ({', '.join(sorted({ty for _, ty in v}))})" for s, v in sorted(by_schema.items(), key=lambda x: str(x[0])))
        + " (psqlODBC does not filter by privilege)")
    refused, readable = 0, []
    for schema, rels in by_schema.items():
        if schema in ("woes_bi", "pg_catalog", "information_schema") or schema is None:
            continue
        for name, _ in rels:
            try:
                cur.execute(f"SELECT * FROM {q(schema)}.{q(name)} WHERE 1 <> 1").fetchall()
                readable.append(f"{schema}.{name}")
            except pyodbc.Error as e:
                # psqlODBC passes the server's SQLSTATE on
                if e.args and e.args[0] == "42501":
                    refused += 1
                else:
                    readable.append(f"{schema}.{name} ({err(e)})")
    if not readable:
        ok(f"every one of the {refused} relations outside woes_bi that SQLTables lists is refused to the analyst (42501)")
    else:
        fail(f"relations outside woes_bi the analyst can probe, or that fail otherwise than 42501: {readable}")

    # SQLColumns of woes_bi
    columns = {}
    for r in cur.columns(schema="woes_bi").fetchall():
        if r.table_schem != "woes_bi":
            continue
        c = Col(r.column_name, r.data_type, r.type_name, r.remarks)
        columns.setdefault(r.table_name, []).append((r.ordinal_position, c))
        scan.value(f"SQLColumns REMARKS of {r.table_name}.{c.name}", r.remarks)
    columns = {t: [c for _, c in sorted(cols, key=lambda x: x[0])] for t, cols in columns.items()}
    if set(columns) == expected:
        ok(f"SQLColumns(woes_bi) describes the {len(columns)} views, {sum(len(c) for c in columns.values())} columns")
    else:
        fail(f"SQLColumns(woes_bi) describes {sorted(columns)}, expected {sorted(expected)}")
    no_remarks, bad, mapping = [], [], {}
    for t, cols in sorted(columns.items()):
        for i, c in enumerate(cols):
            name = f"{t}.{c.name}"
            key = f"{c.type_name} -> {type_label(c.type)}"
            mapping[key] = mapping.get(key, 0) + 1
            if not (c.remarks or "").strip():
                no_remarks.append(name)
            if name in LABELS and not c.is_string():
                bad.append(f"label {name} is {type_label(c.type)} ({c.type_name}), not a string type")
            if (c.name.endswith("_seconds") or c.name == "seconds") and c.type not in (2, 3):
                bad.append(f"duration {name} is {type_label(c.type)} ({c.type_name}), not SQL_NUMERIC")
            if (c.name.endswith("_at") or c.name in ("waiting_since", "human_clock_from")) and c.type not in (93, 11):
                bad.append(f"time {name} is {type_label(c.type)} ({c.type_name}), not SQL_TYPE_TIMESTAMP")
            if i > 0 and c.name.endswith("_id") and not c.is_uuid():
                bad.append(f"id {name} is {type_label(c.type)} ({c.type_name}), not SQL_GUID/uuid")
            if c.type not in SQL_TYPES:
                bad.append(f"{name} is of ODBC type {c.type} ({c.type_name})")
    if not no_remarks:
        ok("SQLColumns(woes_bi): every column has REMARKS (its comment)")
    else:
        info1(f"SQLColumns(woes_bi): no REMARKS for {len(no_remarks)} columns, e.g. {no_remarks[:3]} "
              "(psqlODBC's SQLColumns always returns an empty REMARKS: comments do not reach ODBC tools)")
    if not bad:
        ok("SQLColumns(woes_bi): labels strings, durations SQL_NUMERIC, times SQL_TYPE_TIMESTAMP, ids SQL_GUID")
    else:
        fail(f"SQLColumns(woes_bi): {bad}")
    info1(f"SQLColumns(woes_bi) type mapping (type_name -> data_type: columns): {dict(sorted(mapping.items()))}")

    # keys
    pk = fk = 0
    key_errors = []
    for t in sorted(columns):
        try:
            pk += len(cur.primaryKeys(t, schema="woes_bi").fetchall())
        except pyodbc.Error as e:
            key_errors.append(f"SQLPrimaryKeys({t}): {err(e)}")
        try:
            fk += len(cur.foreignKeys(table=t, schema="woes_bi").fetchall())
        except pyodbc.Error as e:
            key_errors.append(f"SQLForeignKeys({t}): {err(e)}")
    if not key_errors:
        ok("SQLPrimaryKeys and SQLForeignKeys answer for every view of woes_bi")
    else:
        fail(f"key metadata: {key_errors}")
    info1(f"SQLPrimaryKeys: {pk} key columns, SQLForeignKeys: {fk} foreign keys over the views of woes_bi")
    scan.report("metadata (SQLTables, SQLColumns)")
    return columns


# --------------------------------------------------------------- the views
def read(cur, sql, cols, scan, where):
    rows = cur.execute(sql).fetchall()
    for r in rows:
        for c, v in zip(cols, r):
            scan.value(f"{where} {c.name}", v)
    return [tuple(r) for r in rows]


def count(cur, sql, param):
    """count(*) with one parameter, executed REPEAT times; -1 - the first count when they differ."""
    first = None
    for i in range(REPEAT if param is not None else 1):
        n = cur.execute(sql, param).fetchone()[0] if param is not None else cur.execute(sql).fetchone()[0]
        if first is None:
            first = n
        elif n != first:
            return -1 - first
    return first


def comparable(v):
    if isinstance(v, (int, float, decimal.Decimal)):
        return decimal.Decimal(str(v))
    return v


seen_values = {}   # "bool" / "uuid": a few values as the driver hands them over


def read_view(conn, cfg, view, cols, uuid_states):
    cur = conn.cursor()
    rel = f"{q('woes_bi')}.{q(view)}"
    scan = Scan(cfg)
    names = [c.name for c in cols]
    for probe in (f"SELECT * FROM {rel} WHERE 1 <> 1", f"SELECT * FROM {rel} LIMIT 0"):
        try:
            cur.execute(probe)
            got = [d[0] for d in cur.description]
            rows = cur.fetchall()
            if got == names and not rows:
                ok(f'{view}: probe "{probe.replace(rel, "x")}": no rows, the columns SQLColumns gives')
            else:
                fail(f'{view}: probe "{probe}" gives columns {got}{" and rows" if rows else ""}, expected {names}')
        except pyodbc.Error as e:
            fail(f'{view}: probe "{probe}": {err(e)}')
    try:
        sample = read(cur, f"SELECT * FROM {rel} LIMIT 1000", cols, scan, f"{view} sample")
        rows = read(cur, f"SELECT {', '.join(q(n) for n in names)} FROM {rel}", cols, scan, f"{view} read")
        n = count(cur, f"SELECT count(*) FROM {rel}", None)
    except pyodbc.Error as e:
        fail(f"{view}: sample, read or count: {err(e)}")
        return
    for i, c in enumerate(cols):
        kind = "bool" if c.type_name == "bool" else "uuid" if c.is_uuid() else None
        if kind:
            for r in rows[:2]:
                if r[i] is not None and len(seen_values.setdefault(kind, [])) < 3:
                    seen_values[kind].append(f"{type(r[i]).__name__} {r[i]!r}")
    expected = int(cfg.get(f"expected_count.{view}", "-1"))
    if n == len(rows) == min(len(sample), 1000) == expected and n > 0:
        ok(f"{view}: sample (LIMIT 1000), read with quoted columns and count(*) agree: {n} rows, as many as workspace A has")
    else:
        fail(f"{view}: sample {len(sample)}, read {len(rows)}, count(*) {n} rows; workspace A has {expected}")

    if "workspace_id" in names:
        i = names.index("workspace_id")
        a = cfg["workspace_a"].lower()
        other = sum(1 for r in rows if text(r[i]).lower() != a)
        other_in_sample = sum(1 for r in sample if text(r[i]).lower() != a)
        if other == 0 and other_in_sample == 0:
            ok(f"{view}: every row has workspace_id = A")
        else:
            fail(f"{view}: {other} of {len(rows)} rows read ({other_in_sample} of the sample's) of another workspace_id")
    for i, c in enumerate(cols):
        bad_keys = cfg["forbidden_keys"].get(f"{view}.{c.name}")
        if bad_keys is None:
            continue
        found = [text(r[i]) for r in rows if text(r[i]) in bad_keys]
        if not found:
            ok(f"{view}: no {c.name} of workspace B")
        else:
            fail(f"{view}: {c.name} of workspace B: {found}")

    # field values, and the range of times and numbers
    problems = []
    for i, c in enumerate(cols):
        seen = {text(r[i]) for r in rows}
        try:
            d = read(cur, f"SELECT DISTINCT {q(c.name)} FROM {rel} LIMIT 1000", [c], scan, f"{view} distinct")
            got = {text(r[0]) for r in d}
            if got != seen or len(got) != len(d):
                problems.append(f"DISTINCT {c.name} gives {sorted(map(str, got))}, the rows hold {sorted(map(str, seen))}")
        except pyodbc.Error as e:
            problems.append(f"DISTINCT {c.name}: {err(e)}")
        if not (c.is_time() or c.is_number()):
            continue
        try:
            mn, mx = cur.execute(f"SELECT min({q(c.name)}), max({q(c.name)}) FROM {rel}").fetchone()
            scan.value(f"{view} min {c.name}", mn)
            scan.value(f"{view} max {c.name}", mx)
            vals = [comparable(r[i]) for r in rows if r[i] is not None]
            cmin, cmax = (min(vals), max(vals)) if vals else (None, None)
            if (comparable(mn), comparable(mx)) != (cmin, cmax):
                problems.append(f"min/max {c.name} = {mn}/{mx}, the rows give {cmin}/{cmax}")
        except pyodbc.Error as e:
            problems.append(f"min/max {c.name}: {err(e)}")
    if not problems:
        ok(f"{view}: DISTINCT of every column and min/max of every time and number column agree with the rows")
    else:
        fail(f"{view}: {problems}")

    # filters: every value of every string column, bound as a Python str
    filters = string_cols = 0
    bad = []
    for i, c in enumerate(cols):
        if not c.is_string() or c.is_uuid():
            continue
        string_cols += 1
        counts = {}
        for r in rows:
            if r[i] is not None:
                counts[text(r[i])] = counts.get(text(r[i]), 0) + 1
        for value, expected_n in counts.items():
            filters += 1
            try:
                got = count(cur, f"SELECT count(*) FROM {rel} WHERE {q(c.name)} = ?", value)
                if got != expected_n or got == 0:
                    bad.append(f"{c.name} = '{value}': {got}, the rows give {expected_n}")
            except pyodbc.Error as e:
                bad.append(f"{c.name} ({c.type_name}, reported as {type_label(c.type)}) = '{value}': {err(e)}")
    if string_cols:
        if not bad:
            ok(f"{view}: {filters} filters WHERE col = ? on its {string_cols} string columns (a str parameter, "
               f"{REPEAT} executions each): each counts the rows read")
        else:
            fail(f"{view}: filters on string columns (a str parameter): {bad}")

    # uuid columns (SQL_GUID): pyodbc hands them over as str; a filter binds a str
    uuid_filters = 0
    uuid_bad = []
    for i, c in enumerate(cols):
        if not c.is_uuid():
            continue
        counts = {}
        for r in rows:
            if r[i] is not None:
                counts[text(r[i])] = counts.get(text(r[i]), 0) + 1
        for value, expected_n in counts.items():
            uuid_filters += 1
            try:
                got = count(cur, f"SELECT count(*) FROM {rel} WHERE {q(c.name)} = ?", value)
                if got != expected_n:
                    uuid_bad.append(f"{c.name} = {value}: {got}, the rows give {expected_n}")
                uuid_states["counted"] = uuid_states.get("counted", 0) + 1
            except pyodbc.Error as e:
                uuid_bad.append(f"{c.name}: {err(e)}")
                k = err(e)
                uuid_states[k] = uuid_states.get(k, 0) + 1
    if uuid_filters:
        if not uuid_bad:
            ok(f"{view}: {uuid_filters} filters WHERE uuid_col = ? bound as a str ({REPEAT} executions each): each counts the rows read")
        else:
            fail(f"{view}: uuid filters bound as a str: {uuid_bad[:5]}")
    scan.report(view)


def run_pass(cfg, server_side_prepare):
    conn_str = (f"Driver={{{cfg['odbc_driver']}}};Server={cfg['host']};Port={cfg['port']};Database={cfg['database']};"
                f"UID={cfg['user']};PWD=;UseServerSidePrepare={server_side_prepare}")
    conn = pyodbc.connect(conn_str, autocommit=True)
    try:
        info(f"{conn.getinfo(pyodbc.SQL_DRIVER_NAME)} {conn.getinfo(pyodbc.SQL_DRIVER_VER)} (ODBC "
             f"{conn.getinfo(pyodbc.SQL_DRIVER_ODBC_VER)}), server {conn.getinfo(pyodbc.SQL_DBMS_VER)}, "
             f"user {conn.getinfo(pyodbc.SQL_USER_NAME)}; pyodbc {pyodbc.version}")
        columns = listing(conn, cfg)
        uuid_states = {}
        for view in cfg["views"]:
            cols = columns.get(view)
            if not cols:
                fail(f"{view}: SQLColumns gave no column")
                continue
            read_view(conn, cfg, view, cols, uuid_states)
        info1(f"values as pyodbc hands them over: bool columns {seen_values.get('bool')}, uuid columns {seen_values.get('uuid')}")
    finally:
        conn.close()


def main():
    global mode, first_pass
    cfg = load(sys.argv[1])
    for ssp in ("1", "0"):
        mode = f"UseServerSidePrepare={ssp}"
        try:
            run_pass(cfg, ssp)
        except pyodbc.Error as e:
            fail(f"the pass ended with an error: {err(e)}")
        first_pass = False
    mode = ""
    print(f"odbc summary: {passed} checks passed, {failed} failed", flush=True)
    sys.exit(0 if failed == 0 else 1)


if __name__ == "__main__":
    main()
