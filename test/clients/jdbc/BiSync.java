// A BI tool's sync of woes_bi through pgjdbc (the driver of Metabase,
// DBeaver and Tableau), as the analyst login bound to workspace A.
//
// Run by test/sh/bi_clients.sh, which writes the configuration (a
// properties file: host, port, database, user, workspace_a, views,
// forbidden_ids, forbidden_key.VIEW.COLUMN, expected_count.VIEW):
//
//   javac -d DIR test/clients/jdbc/BiSync.java
//   java -cp DIR:/usr/share/java/postgresql.jar BiSync CONFIG
//
// Four passes, each on its own connection: pgjdbc's defaults
// (prepareThreshold=5: a statement becomes server-prepared on its fifth
// use), prepareThreshold=1 (server-prepared from the first use), and both
// again with stringtype=unspecified (string parameters sent untyped, so a
// string can be compared with a uuid).  Each pass lists (DatabaseMetaData
// and Metabase's own catalog queries), probes, samples, reads, counts and
// filters every view the listing gives, and scans every value read for
// SECRET markers and ids of workspace B.  Prints "ok", "FAIL" and "info"
// lines and "jdbc summary: N checks passed, M failed"; exits 1 on a failure.

import java.io.FileReader;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.JDBCType;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class BiSync {
    static final Properties cfg = new Properties();
    static int passed = 0, failed = 0;
    static String pass = "";
    static String workspaceA;
    static List<String> expectedViews;
    static final Set<String> forbiddenIds = new HashSet<>();
    static final Map<String, Set<String>> forbiddenKeys = new HashMap<>();
    // per pass: what the uuid filters bound with setString gave (SQLSTATE and message, or "counted")
    static final Map<String, Integer> uuidStates = new TreeMap<>();
    static boolean firstPass = true;

    static void ok(String m) { System.out.println("ok   - [jdbc " + pass + "] " + m); passed++; }
    static void fail(String m) { System.out.println("FAIL - [jdbc " + pass + "] " + m); failed++; }
    static void info(String m) { System.out.println("info - [jdbc " + pass + "] " + m); }
    // what does not depend on the connection's properties: said in the first pass only
    static void info1(String m) { if (firstPass) info(m); }

    // Labels a chart filters by: the driver must report them as strings.
    static final Set<String> LABELS = new HashSet<>(Arrays.asList(
        "conversation_metrics.status", "conversation_metrics.channel", "response_times.channel",
        "routing_stats.channel", "channels.channel", "status_changes.from_status", "status_changes.to_status",
        "status_changes.actor_kind", "handoffs.kind", "handoffs.from_control", "handoffs.to_control",
        "handoffs.actor_kind", "issue_impact.state", "issue_impact.provider"));
    static final Set<Integer> STRING_TYPES = new HashSet<>(Arrays.asList(
        Types.CHAR, Types.VARCHAR, Types.LONGVARCHAR, Types.NCHAR, Types.NVARCHAR, Types.LONGNVARCHAR, Types.CLOB));
    static final Set<Integer> NUMBER_TYPES = new HashSet<>(Arrays.asList(
        Types.TINYINT, Types.SMALLINT, Types.INTEGER, Types.BIGINT, Types.NUMERIC, Types.DECIMAL,
        Types.REAL, Types.FLOAT, Types.DOUBLE));
    static final Set<Integer> TIME_TYPES = new HashSet<>(Arrays.asList(
        Types.DATE, Types.TIMESTAMP, Types.TIMESTAMP_WITH_TIMEZONE));

    static final class Col {
        final String name, typeName, remarks;
        final int type;
        Col(String name, int type, String typeName, String remarks) {
            this.name = name; this.type = type; this.typeName = typeName; this.remarks = remarks;
        }
        boolean isString() { return STRING_TYPES.contains(type); }
        boolean isNumber() { return NUMBER_TYPES.contains(type); }
        boolean isTime() { return TIME_TYPES.contains(type); }
        boolean isUuid() { return "uuid".equals(typeName); }
    }

    // ------------------------------------------------------------ leaks
    static final Pattern UUID_RE = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    /** Every string an analyst reads goes through one of these: SECRET markers and ids of workspace B. */
    static final class Scan {
        int values = 0;
        final List<String> leaks = new ArrayList<>();
        void value(String where, String v) {
            if (v == null) return;
            values++;
            if (v.toLowerCase().contains("secret")) leaks.add(where + ": marker text " + clip(v));
            Matcher m = UUID_RE.matcher(v);
            while (m.find()) {
                if (forbiddenIds.contains(m.group().toLowerCase())) leaks.add(where + ": id of workspace B " + m.group());
            }
        }
        void report(String what) {
            if (leaks.isEmpty()) {
                ok(what + ": no SECRET text and no id of workspace B in " + values + " values read");
            } else {
                fail(what + ": " + leaks.size() + " forbidden values, e.g. " + String.join("; ", leaks.subList(0, Math.min(5, leaks.size()))));
            }
        }
    }

    static String clip(String s) { return s.length() > 120 ? s.substring(0, 120) + "..." : s; }
    static String q(String ident) { return "\"" + ident.replace("\"", "\"\"") + "\""; }
    static String typeLabel(int t) {
        try { return JDBCType.valueOf(t).getName(); } catch (IllegalArgumentException e) { return String.valueOf(t); }
    }
    static String err(SQLException e) { return e.getSQLState() + " " + clip(String.valueOf(e.getMessage()).replace('\n', ' ')); }

    static List<String> list(String key) {
        String v = cfg.getProperty(key, "").trim();
        return v.isEmpty() ? new ArrayList<>() : new ArrayList<>(Arrays.asList(v.split(",")));
    }

    public static void main(String[] args) throws Exception {
        try (FileReader r = new FileReader(args[0])) { cfg.load(r); }
        workspaceA = cfg.getProperty("workspace_a");
        expectedViews = list("views");
        for (String id : list("forbidden_ids")) forbiddenIds.add(id.toLowerCase());
        for (String k : cfg.stringPropertyNames()) {
            if (k.startsWith("forbidden_key.")) forbiddenKeys.put(k.substring("forbidden_key.".length()), new HashSet<>(list(k)));
        }
        String url = "jdbc:postgresql://" + cfg.getProperty("host") + ":" + cfg.getProperty("port") + "/" + cfg.getProperty("database");
        String[][] passes = {
            {"default"},
            {"prepareThreshold=1", "prepareThreshold", "1"},
            {"stringtype=unspecified", "stringtype", "unspecified"},
            {"stringtype=unspecified prepareThreshold=1", "stringtype", "unspecified", "prepareThreshold", "1"},
        };
        for (String[] p : passes) {
            pass = p[0];
            Properties props = new Properties();
            props.setProperty("user", cfg.getProperty("user"));
            props.setProperty("ApplicationName", "woes bi_clients jdbc");
            for (int i = 1; i + 1 < p.length; i += 2) props.setProperty(p[i], p[i + 1]);
            try (Connection conn = DriverManager.getConnection(url, props)) {
                runPass(conn, p.length > 1 && Arrays.asList(p).contains("unspecified"));
                firstPass = false;
            } catch (SQLException e) {
                fail("the pass ended with an error: " + err(e));
            }
        }
        pass = "";
        System.out.println("jdbc summary: " + passed + " checks passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }

    static void runPass(Connection conn, boolean unspecified) throws SQLException {
        DatabaseMetaData md = conn.getMetaData();
        info(md.getDriverName() + " " + md.getDriverVersion() + ", server " + md.getDatabaseProductVersion()
             + ", user " + md.getUserName() + ", autocommit " + conn.getAutoCommit());
        Map<String, List<Col>> columns = listing(conn, md);
        List<String> sync = metabaseListing(conn, columns);
        int statementsBefore = preparedCount(conn);
        for (String view : sync) {
            List<Col> cols = columns.get(view);
            if (cols == null || cols.isEmpty()) {
                fail(view + ": listed by Metabase's query but getColumns gave no column");
                continue;
            }
            readView(conn, view, cols, unspecified);
        }
        if (!unspecified && !uuidStates.isEmpty())
            info("the uuid filters bound with setString (pgjdbc sends varchar unless stringtype=unspecified): " + uuidStates
                 + (uuidStates.containsKey("counted") ? "" : " -- known pgjdbc behaviour: a BI tool must bind a uuid as a uuid"
                    + " (setObject), or connect with stringtype=unspecified"));
        uuidStates.clear();
        int prepared = preparedCount(conn);
        info("server-prepared statements in the session: " + prepared + " (pg_prepared_statements; "
             + statementsBefore + " before the views were read), generic plans used: " + genericPlans(conn));
    }

    // ----------------------------------------------------------- listing
    static Map<String, List<Col>> listing(Connection conn, DatabaseMetaData md) throws SQLException {
        Scan scan = new Scan();
        // getSchemas: pgjdbc lists every schema of pg_namespace
        List<String> schemas = new ArrayList<>();
        try (ResultSet rs = md.getSchemas()) {
            while (rs.next()) schemas.add(rs.getString("TABLE_SCHEM"));
        }
        if (schemas.contains("woes_bi")) ok("getSchemas lists woes_bi");
        else fail("getSchemas does not list woes_bi: " + schemas);
        info1("getSchemas lists " + schemas + " (pgjdbc lists every schema, USAGE or not)");

        // getTables in woes_bi, as a tool with the schema filter woes_bi
        Map<String, String> tables = new TreeMap<>();
        Map<String, String> remarks = new HashMap<>();
        try (ResultSet rs = md.getTables(null, "woes_bi", "%", null)) {
            while (rs.next()) {
                String name = rs.getString("TABLE_NAME");
                tables.put(name, rs.getString("TABLE_TYPE"));
                remarks.put(name, rs.getString("REMARKS"));
                scan.value("getTables REMARKS of " + name, rs.getString("REMARKS"));
            }
        }
        if (tables.keySet().equals(new TreeSet<>(expectedViews))) ok("getTables(woes_bi) lists the " + tables.size() + " views of woes_bi");
        else fail("getTables(woes_bi) lists " + tables.keySet() + ", expected " + expectedViews);
        Set<String> notViews = new TreeSet<>();
        Set<String> undescribed = new TreeSet<>();
        for (String t : tables.keySet()) {
            if (!"VIEW".equals(tables.get(t))) notViews.add(t + " (" + tables.get(t) + ")");
            if (remarks.get(t) == null || remarks.get(t).trim().isEmpty()) undescribed.add(t);
        }
        if (notViews.isEmpty()) ok("getTables(woes_bi): every relation is a VIEW");
        else fail("getTables(woes_bi): not views: " + notViews);
        if (undescribed.isEmpty()) ok("getTables(woes_bi): every view has REMARKS (its comment)");
        else fail("getTables(woes_bi): views without REMARKS: " + undescribed);

        // getTables with no schema filter, as DBeaver's navigator or Tableau's
        // table list: pgjdbc lists what the catalog holds, readable or not
        Map<String, List<String>> bySchema = new TreeMap<>();
        try (ResultSet rs = md.getTables(null, null, "%",
                new String[] {"TABLE", "VIEW", "MATERIALIZED VIEW", "FOREIGN TABLE", "PARTITIONED TABLE"})) {
            while (rs.next()) bySchema.computeIfAbsent(rs.getString("TABLE_SCHEM"), k -> new ArrayList<>()).add(rs.getString("TABLE_NAME"));
        }
        StringBuilder counts = new StringBuilder();
        for (Map.Entry<String, List<String>> e : bySchema.entrySet()) counts.append(e.getKey()).append(' ').append(e.getValue().size()).append(", ");
        info1("getTables without a schema filter lists " + counts.toString().replaceAll(", $", "")
             + " relations (pgjdbc does not filter by privilege; Metabase's query below does)");
        int refused = 0;
        List<String> readable = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : bySchema.entrySet()) {
            if (e.getKey().equals("woes_bi")) continue;
            for (String t : e.getValue()) {
                try (PreparedStatement st = conn.prepareStatement("SELECT * FROM " + q(e.getKey()) + "." + q(t) + " WHERE 1 <> 1");
                     ResultSet rs = st.executeQuery()) {
                    readable.add(e.getKey() + "." + t);
                } catch (SQLException x) {
                    if ("42501".equals(x.getSQLState())) refused++;
                    else readable.add(e.getKey() + "." + t + " (" + err(x) + ")");
                }
            }
        }
        if (readable.isEmpty()) ok("every one of the " + refused + " relations outside woes_bi that getTables lists is refused to the analyst (42501)");
        else fail("relations outside woes_bi the analyst can probe, or that fail otherwise than 42501: " + readable);

        // getColumns of woes_bi
        Map<String, List<Col>> columns = new TreeMap<>();
        try (ResultSet rs = md.getColumns(null, "woes_bi", "%", "%")) {
            while (rs.next()) {
                String t = rs.getString("TABLE_NAME");
                Col c = new Col(rs.getString("COLUMN_NAME"), rs.getInt("DATA_TYPE"), rs.getString("TYPE_NAME"), rs.getString("REMARKS"));
                columns.computeIfAbsent(t, k -> new ArrayList<>()).add(c);
                scan.value("getColumns REMARKS of " + t + "." + c.name, c.remarks);
            }
        }
        if (columns.keySet().equals(new TreeSet<>(expectedViews))) {
            int n = 0;
            for (List<Col> l : columns.values()) n += l.size();
            ok("getColumns(woes_bi) describes the " + columns.size() + " views, " + n + " columns");
        } else {
            fail("getColumns(woes_bi) describes " + columns.keySet() + ", expected " + expectedViews);
        }
        List<String> noRemarks = new ArrayList<>();
        List<String> badTypes = new ArrayList<>();
        Map<String, Integer> mapping = new TreeMap<>();
        for (Map.Entry<String, List<Col>> e : columns.entrySet()) {
            String t = e.getKey();
            List<Col> cols = e.getValue();
            for (int i = 0; i < cols.size(); i++) {
                Col c = cols.get(i);
                String name = t + "." + c.name;
                mapping.merge(c.typeName + " -> " + typeLabel(c.type), 1, Integer::sum);
                if (c.remarks == null || c.remarks.trim().isEmpty()) noRemarks.add(name);
                if (c.type == Types.OTHER && !c.isUuid()) badTypes.add(name + " is OTHER (" + c.typeName + ")");
                if (LABELS.contains(name) && !(c.type == Types.VARCHAR || c.type == Types.LONGVARCHAR))
                    badTypes.add("label " + name + " is " + typeLabel(c.type) + " (" + c.typeName + "), not VARCHAR/LONGVARCHAR");
                if ((c.name.endsWith("_seconds") || c.name.equals("seconds")) && c.type != Types.NUMERIC)
                    badTypes.add("duration " + name + " is " + typeLabel(c.type) + " (" + c.typeName + "), not NUMERIC");
                if ((c.name.endsWith("_at") || c.name.equals("waiting_since") || c.name.equals("human_clock_from"))
                        && !(c.type == Types.TIMESTAMP || c.type == Types.TIMESTAMP_WITH_TIMEZONE))
                    badTypes.add("time " + name + " is " + typeLabel(c.type) + " (" + c.typeName + "), not TIMESTAMP");
                // an id that refers to something (not the view's own key, the first column) is a uuid
                if (i > 0 && c.name.endsWith("_id") && !(c.type == Types.OTHER && c.isUuid()))
                    badTypes.add("id " + name + " is " + typeLabel(c.type) + " (" + c.typeName + "), not OTHER/uuid");
            }
        }
        if (noRemarks.isEmpty()) ok("getColumns(woes_bi): every column has REMARKS (its comment)");
        else fail("getColumns(woes_bi): columns without REMARKS: " + noRemarks);
        if (badTypes.isEmpty()) ok("getColumns(woes_bi): labels VARCHAR, durations NUMERIC, times TIMESTAMP, ids uuid, nothing OTHER but uuid");
        else fail("getColumns(woes_bi): " + badTypes);
        info1("getColumns(woes_bi) type mapping (TYPE_NAME -> DATA_TYPE: columns): " + mapping);

        // keys: what a tool's model learns about joins
        int pk = 0, fk = 0;
        List<String> keyErrors = new ArrayList<>();
        for (String t : columns.keySet()) {
            try (ResultSet rs = md.getPrimaryKeys(null, "woes_bi", t)) { while (rs.next()) pk++; }
            catch (SQLException x) { keyErrors.add("getPrimaryKeys(" + t + "): " + err(x)); }
            try (ResultSet rs = md.getImportedKeys(null, "woes_bi", t)) { while (rs.next()) fk++; }
            catch (SQLException x) { keyErrors.add("getImportedKeys(" + t + "): " + err(x)); }
        }
        if (keyErrors.isEmpty()) ok("getPrimaryKeys and getImportedKeys answer for every view of woes_bi");
        else fail("key metadata: " + keyErrors);
        info1("getPrimaryKeys: " + pk + " key columns, getImportedKeys: " + fk
             + " foreign keys over the views of woes_bi (views carry no constraint: the key is named only in the comments)");
        scan.report("metadata (getTables, getColumns)");
        return columns;
    }

    // Metabase's postgres driver: the relations it syncs (kinds r, p, v, f,
    // m of schemas the user has USAGE on, that it may SELECT), its table
    // privileges query, and its describe-fields query (information_schema).
    static final String METABASE_TABLES =
        "SELECT n.nspname AS schema, c.relname AS name,\n"
        + "       CASE c.relkind WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'PARTITIONED TABLE' WHEN 'v' THEN 'VIEW'\n"
        + "                      WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE NULL END AS type,\n"
        + "       d.description AS description, stat.n_live_tup AS estimated_row_count\n"
        + "  FROM pg_catalog.pg_class AS c\n"
        + "  JOIN pg_catalog.pg_namespace AS n ON c.relnamespace = n.oid\n"
        + "  LEFT JOIN pg_catalog.pg_description AS d\n"
        + "         ON c.oid = d.objoid AND d.objsubid = 0 AND d.classoid = 'pg_class'::regclass\n"
        + "  LEFT JOIN pg_stat_user_tables AS stat ON n.nspname = stat.schemaname AND c.relname = stat.relname\n"
        + " WHERE c.relnamespace = n.oid\n"
        + "   AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'\n"
        + "   AND c.relkind IN ('r', 'p', 'v', 'f', 'm')\n"
        + "   AND has_schema_privilege(n.oid, 'USAGE')\n"
        + "   AND (has_table_privilege(c.oid, 'SELECT') OR has_any_column_privilege(c.oid, 'SELECT'))\n";
    static final String METABASE_PRIVILEGES =
        "with table_privileges as (\n"
        + " select NULL as role, t.schemaname as schema, t.objectname as table,\n"
        + "   pg_catalog.has_any_column_privilege(current_user, '\"' || replace(t.schemaname, '\"', '\"\"') || '\"' || '.' || '\"' || replace(t.objectname, '\"', '\"\"') || '\"', 'update') as update,\n"
        + "   pg_catalog.has_any_column_privilege(current_user, '\"' || replace(t.schemaname, '\"', '\"\"') || '\"' || '.' || '\"' || replace(t.objectname, '\"', '\"\"') || '\"', 'select') as select,\n"
        + "   pg_catalog.has_any_column_privilege(current_user, '\"' || replace(t.schemaname, '\"', '\"\"') || '\"' || '.' || '\"' || replace(t.objectname, '\"', '\"\"') || '\"', 'insert') as insert,\n"
        + "   pg_catalog.has_table_privilege(current_user, '\"' || replace(t.schemaname, '\"', '\"\"') || '\"' || '.' || '\"' || replace(t.objectname, '\"', '\"\"') || '\"', 'delete') as delete\n"
        + " from (select schemaname, tablename as objectname from pg_catalog.pg_tables\n"
        + "       union select schemaname, viewname as objectname from pg_catalog.pg_views\n"
        + "       union select schemaname, matviewname as objectname from pg_catalog.pg_matviews) t\n"
        + " where t.schemaname !~ '^pg_' and t.schemaname <> 'information_schema'\n"
        + "   and pg_catalog.has_schema_privilege(current_user, t.schemaname, 'usage'))\n"
        + "select t.* from table_privileges t";
    static final String METABASE_FIELDS =
        "SELECT c.column_name AS name,\n"
        + "       CASE WHEN c.udt_schema IN ('public', 'pg_catalog') THEN format('%s', c.udt_name)\n"
        + "            ELSE format('\"%s\".\"%s\"', c.udt_schema, c.udt_name) END AS database_type,\n"
        + "       c.ordinal_position - 1 AS database_position, c.table_schema AS table_schema, c.table_name AS table_name,\n"
        + "       pk.column_name IS NOT NULL AS pk,\n"
        + "       col_description(CAST(CAST(format('%I.%I', CAST(c.table_schema AS text), CAST(c.table_name AS text)) AS regclass) AS oid),\n"
        + "                       c.ordinal_position) AS field_comment\n"
        + "  FROM information_schema.columns AS c\n"
        + "  LEFT JOIN (SELECT tc.table_schema, tc.table_name, kc.column_name\n"
        + "               FROM information_schema.table_constraints AS tc\n"
        + "               JOIN information_schema.key_column_usage AS kc\n"
        + "                 ON tc.constraint_name = kc.constraint_name AND tc.table_schema = kc.table_schema\n"
        + "                AND tc.table_name = kc.table_name\n"
        + "              WHERE tc.constraint_type = 'PRIMARY KEY') AS pk\n"
        + "         ON c.table_schema = pk.table_schema AND c.table_name = pk.table_name AND c.column_name = pk.column_name\n"
        + " WHERE c.table_schema !~ '^information_schema|catalog_history|pg_' AND c.table_schema IN ('woes_bi')\n"
        + " ORDER BY table_schema, table_name, database_position";
    // the column types Metabase's postgres driver maps to a base type (the rest is :type/*)
    static final Set<String> METABASE_TYPES = new HashSet<>(Arrays.asList(
        "text", "varchar", "uuid", "numeric", "int2", "int4", "int8", "float4", "float8", "bool", "date",
        "timestamp", "timestamptz", "time", "timetz"));

    static List<String> metabaseListing(Connection conn, Map<String, List<Col>> columns) throws SQLException {
        Scan scan = new Scan();
        List<String> sync = new ArrayList<>();
        for (String filter : new String[] {"", "woes_bi"}) {
            String sql = METABASE_TABLES + (filter.isEmpty() ? "" : "   AND n.nspname IN ('" + filter + "')\n") + " ORDER BY type, schema, name";
            List<String> rel = new ArrayList<>();
            List<String> listed = new ArrayList<>();
            List<String> odd = new ArrayList<>();
            try (PreparedStatement st = conn.prepareStatement(sql); ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    String schema = rs.getString("schema"), name = rs.getString("name"), d = rs.getString("description");
                    rel.add(name);
                    listed.add(schema + "." + name);
                    if (!"woes_bi".equals(schema) || !"VIEW".equals(rs.getString("type")) || d == null || d.trim().isEmpty())
                        odd.add(schema + "." + name + " (" + rs.getString("type") + ", description " + (d == null ? "none" : "'" + clip(d) + "'") + ")");
                    scan.value("Metabase's table list: description of " + name, d);
                    scan.value("Metabase's table list: estimated_row_count of " + name, rs.getString("estimated_row_count"));
                }
            } catch (SQLException x) {
                fail("Metabase's table query" + (filter.isEmpty() ? "" : " with the schema filter " + filter) + ": " + err(x));
                continue;
            }
            String what = "Metabase's privilege-filtered table query" + (filter.isEmpty() ? " (every schema)" : " with the schema filter woes_bi");
            if (new TreeSet<>(rel).equals(new TreeSet<>(expectedViews)) && rel.size() == expectedViews.size() && odd.isEmpty())
                ok(what + ": exactly the " + rel.size() + " views of woes_bi, each with its description, nothing of schema woes");
            else
                fail(what + ": lists " + listed + (odd.isEmpty() ? "" : "; unexpected: " + odd) + "; expected the views " + expectedViews);
            if (!filter.isEmpty()) sync = rel;
        }

        // Metabase's table privileges (what it may write to, with actions)
        List<String> select = new ArrayList<>();
        List<String> other = new ArrayList<>();
        try (PreparedStatement st = conn.prepareStatement(METABASE_PRIVILEGES); ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                String name = rs.getString("schema") + "." + rs.getString("table");
                if (rs.getBoolean("select")) select.add(name);
                if (rs.getBoolean("update") || rs.getBoolean("insert") || rs.getBoolean("delete")) other.add(name);
            }
            List<String> expected = new ArrayList<>();
            for (String v : expectedViews) expected.add("woes_bi." + v);
            if (new TreeSet<>(select).equals(new TreeSet<>(expected)) && other.isEmpty())
                ok("Metabase's table-privileges query: SELECT on exactly the views of woes_bi, no INSERT, UPDATE or DELETE anywhere");
            else
                fail("Metabase's table-privileges query: SELECT on " + select + ", writes on " + other);
        } catch (SQLException x) {
            fail("Metabase's table-privileges query: " + err(x));
        }

        // Metabase's describe-fields query for woes_bi
        Map<String, List<String>> fields = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        try (PreparedStatement st = conn.prepareStatement(METABASE_FIELDS); ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                String t = rs.getString("table_name"), name = rs.getString("name"), type = rs.getString("database_type");
                fields.computeIfAbsent(t, k -> new ArrayList<>()).add(name);
                String comment = rs.getString("field_comment");
                if (comment == null || comment.trim().isEmpty()) problems.add(t + "." + name + " has no comment");
                if (!METABASE_TYPES.contains(type)) problems.add(t + "." + name + " is " + type + " (no Metabase base type)");
                scan.value("Metabase's field comment of " + t + "." + name, comment);
            }
            Map<String, List<String>> jdbc = new TreeMap<>();
            for (Map.Entry<String, List<Col>> e : columns.entrySet()) {
                List<String> names = new ArrayList<>();
                for (Col c : e.getValue()) names.add(c.name);
                jdbc.put(e.getKey(), names);
            }
            if (!fields.equals(jdbc)) problems.add("its columns differ from getColumns': " + fields + " vs " + jdbc);
            if (problems.isEmpty()) ok("Metabase's describe-fields query (information_schema.columns): the columns getColumns gives, each with a comment and a type Metabase maps");
            else fail("Metabase's describe-fields query: " + problems);
        } catch (SQLException x) {
            fail("Metabase's describe-fields query: " + err(x));
        }
        // information_schema without a schema filter (what some tools list)
        try (PreparedStatement st = conn.prepareStatement(
                "SELECT table_schema, count(DISTINCT table_name), count(*) FROM information_schema.columns"
                + " WHERE table_schema NOT IN ('pg_catalog', 'information_schema') GROUP BY 1 ORDER BY 1");
             ResultSet rs = st.executeQuery()) {
            StringBuilder b = new StringBuilder();
            while (rs.next()) b.append(rs.getString(1)).append(' ').append(rs.getLong(2)).append(" relations/").append(rs.getLong(3)).append(" columns, ");
            info1("information_schema.columns, no schema filter: " + b.toString().replaceAll(", $", "")
                 + " (it filters by column privilege, not by schema USAGE)");
        } catch (SQLException x) {
            fail("information_schema.columns: " + err(x));
        }
        scan.report("Metabase's catalog queries");
        return sync;
    }

    // ------------------------------------------------------- the views
    static final class Rows {
        final List<String[]> text = new ArrayList<>();
        final List<Object[]> typed = new ArrayList<>();
    }

    static Rows read(Connection conn, String sql, List<Col> cols, Scan scan, String where) throws SQLException {
        Rows rows = new Rows();
        try (PreparedStatement st = conn.prepareStatement(sql); ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                String[] t = new String[cols.size()];
                Object[] o = new Object[cols.size()];
                for (int i = 0; i < cols.size(); i++) {
                    Col c = cols.get(i);
                    t[i] = rs.getString(i + 1);
                    o[i] = c.isTime() ? rs.getTimestamp(i + 1) : c.isNumber() ? rs.getBigDecimal(i + 1) : t[i];
                    scan.value(where + " " + c.name, t[i]);
                }
                rows.text.add(t);
                rows.typed.add(o);
            }
        }
        return rows;
    }

    /**
     * count(*) with one parameter, executed REPEAT times on one
     * PreparedStatement, as a dashboard refreshes a filtered card: pgjdbc
     * makes it server-prepared on its prepareThreshold-th use and the server
     * turns to a generic plan after five custom ones.  Every execution must
     * give the same count (else -1 - the first count).
     */
    static final int REPEAT = 6;
    static long count(Connection conn, String sql, Object param, boolean asString) throws SQLException {
        try (PreparedStatement st = conn.prepareStatement(sql)) {
            long first = -1;
            for (int i = 0; i < (param == null ? 1 : REPEAT); i++) {
                if (param != null) {
                    if (asString) st.setString(1, (String) param);
                    else st.setObject(1, param);
                }
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    long n = rs.getLong(1);
                    if (i == 0) first = n;
                    else if (n != first) return -1 - first;
                }
            }
            return first;
        }
    }

    static void readView(Connection conn, String view, List<Col> cols, boolean unspecified) {
        String rel = q("woes_bi") + "." + q(view);
        Scan scan = new Scan();
        // the probes Metabase and Tableau run: the result set's columns
        for (String probe : new String[] {"SELECT * FROM " + rel + " WHERE 1 <> 1", "SELECT * FROM " + rel + " LIMIT 0"}) {
            try (PreparedStatement st = conn.prepareStatement(probe); ResultSet rs = st.executeQuery()) {
                ResultSetMetaData m = rs.getMetaData();
                List<String> names = new ArrayList<>(), expected = new ArrayList<>(), typeDiffs = new ArrayList<>();
                for (int i = 1; i <= m.getColumnCount(); i++) {
                    names.add(m.getColumnName(i));
                    Col c = i <= cols.size() ? cols.get(i - 1) : null;
                    if (c != null && (m.getColumnType(i) != c.type || !m.getColumnTypeName(i).equals(c.typeName)))
                        typeDiffs.add(c.name + ": " + typeLabel(m.getColumnType(i)) + "/" + m.getColumnTypeName(i)
                                      + " vs getColumns " + typeLabel(c.type) + "/" + c.typeName);
                }
                for (Col c : cols) expected.add(c.name);
                boolean rows = rs.next();
                if (names.equals(expected) && !rows) ok(view + ": probe \"" + probe.replace(rel, "x") + "\": no rows, the columns getColumns gives");
                else fail(view + ": probe \"" + probe + "\" gives columns " + names + (rows ? " and rows" : "") + ", expected " + expected);
                if (!typeDiffs.isEmpty()) info(view + ": the probe's ResultSetMetaData types differ from getColumns: " + typeDiffs);
            } catch (SQLException x) {
                fail(view + ": probe \"" + probe + "\": " + err(x));
            }
        }
        Rows sample, all;
        long n;
        StringBuilder list = new StringBuilder();
        for (Col c : cols) list.append(list.length() == 0 ? "" : ", ").append(q(c.name));
        try {
            sample = read(conn, "SELECT * FROM " + rel + " LIMIT 1000", cols, scan, view + " sample");
            all = read(conn, "SELECT " + list + " FROM " + rel, cols, scan, view + " read");
            n = count(conn, "SELECT count(*) FROM " + rel, null, false);
        } catch (SQLException x) {
            fail(view + ": sample, read or count: " + err(x));
            return;
        }
        long expected = Long.parseLong(cfg.getProperty("expected_count." + view, "-1"));
        if (n == all.text.size() && n == Math.min(sample.text.size(), 1000) && n == expected && n > 0)
            ok(view + ": sample (LIMIT 1000), read with quoted columns and count(*) agree: " + n + " rows, as many as workspace A has");
        else
            fail(view + ": sample " + sample.text.size() + ", read " + all.text.size() + ", count(*) " + n
                 + " rows; workspace A has " + expected);

        // every row is workspace A's; no key of workspace B
        int wsIndex = -1;
        for (int i = 0; i < cols.size(); i++) if (cols.get(i).name.equals("workspace_id")) wsIndex = i;
        if (wsIndex >= 0) {
            int other = 0;
            for (String[] r : all.text) if (!workspaceA.equals(r[wsIndex])) other++;
            int otherInSample = 0;
            for (String[] r : sample.text) if (!workspaceA.equals(r[wsIndex])) otherInSample++;
            if (other == 0 && otherInSample == 0) ok(view + ": every row has workspace_id = A");
            else fail(view + ": " + other + " of " + all.text.size() + " rows read (" + otherInSample + " of the sample's) of another workspace_id");
        }
        for (int i = 0; i < cols.size(); i++) {
            Set<String> bad = forbiddenKeys.get(view + "." + cols.get(i).name);
            if (bad == null) continue;
            List<String> found = new ArrayList<>();
            for (String[] r : all.text) if (bad.contains(r[i])) found.add(r[i]);
            if (found.isEmpty()) ok(view + ": no " + cols.get(i).name + " of workspace B");
            else fail(view + ": " + cols.get(i).name + " of workspace B: " + found);
        }

        // Metabase's field values, and the range of times and numbers
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < cols.size(); i++) {
            Col c = cols.get(i);
            Set<String> seen = new HashSet<>();
            for (String[] r : all.text) seen.add(r[i]);
            try {
                Rows d = read(conn, "SELECT DISTINCT " + q(c.name) + " FROM " + rel + " LIMIT 1000", List.of(c), scan, view + " distinct");
                Set<String> got = new HashSet<>();
                for (String[] r : d.text) got.add(r[0]);
                if (!got.equals(seen) || got.size() != d.text.size()) problems.add("DISTINCT " + c.name + " gives " + got + ", the rows hold " + seen);
            } catch (SQLException x) {
                problems.add("DISTINCT " + c.name + ": " + err(x));
            }
            if (!c.isTime() && !c.isNumber()) continue;
            try (PreparedStatement st = conn.prepareStatement("SELECT min(" + q(c.name) + "), max(" + q(c.name) + ") FROM " + rel);
                 ResultSet rs = st.executeQuery()) {
                rs.next();
                Object min = c.isTime() ? rs.getTimestamp(1) : rs.getBigDecimal(1);
                Object max = c.isTime() ? rs.getTimestamp(2) : rs.getBigDecimal(2);
                scan.value(view + " min " + c.name, rs.getString(1));
                scan.value(view + " max " + c.name, rs.getString(2));
                Object cmin = null, cmax = null;
                for (Object[] r : all.typed) {
                    Object v = r[i];
                    if (v == null) continue;
                    if (cmin == null || compare(v, cmin) < 0) cmin = v;
                    if (cmax == null || compare(v, cmax) > 0) cmax = v;
                }
                if (!(same(min, cmin) && same(max, cmax)))
                    problems.add("min/max " + c.name + " = " + min + "/" + max + ", the rows give " + cmin + "/" + cmax);
            } catch (SQLException x) {
                problems.add("min/max " + c.name + ": " + err(x));
            }
        }
        if (problems.isEmpty()) ok(view + ": DISTINCT of every column and min/max of every time and number column agree with the rows");
        else fail(view + ": " + problems);

        // filters: every value of every string column, bound as a string
        int filters = 0, stringCols = 0;
        List<String> bad = new ArrayList<>();
        for (int i = 0; i < cols.size(); i++) {
            Col c = cols.get(i);
            if (!c.isString()) continue;
            stringCols++;
            for (Map.Entry<String, Integer> e : clientCounts(all, i).entrySet()) {
                filters++;
                String sql = "SELECT count(*) FROM " + rel + " WHERE " + q(c.name) + " = ?";
                try {
                    long got = count(conn, sql, e.getKey(), true);
                    if (got != e.getValue() || got == 0) bad.add(c.name + " = '" + e.getKey() + "': " + got + ", the rows give " + e.getValue());
                } catch (SQLException x) {
                    bad.add(c.name + " = '" + e.getKey() + "': " + err(x));
                }
            }
        }
        if (stringCols > 0) {
            if (bad.isEmpty()) ok(view + ": " + filters + " filters WHERE col = ? on its " + stringCols + " string columns (setString, "
                                  + REPEAT + " executions each): each counts the rows read");
            else fail(view + ": filters on string columns (setString): " + bad);
        }

        // uuid columns: a string parameter (setString) and a UUID (setObject)
        int uuidFilters = 0;
        List<String> uuidBad = new ArrayList<>();
        for (int i = 0; i < cols.size(); i++) {
            Col c = cols.get(i);
            if (!c.isUuid()) continue;
            for (Map.Entry<String, Integer> e : clientCounts(all, i).entrySet()) {
                uuidFilters++;
                String sql = "SELECT count(*) FROM " + rel + " WHERE " + q(c.name) + " = ?";
                try {
                    long got = count(conn, sql, UUID.fromString(e.getKey()), false);
                    if (got != e.getValue()) uuidBad.add("setObject(UUID) " + c.name + " = " + e.getKey() + ": " + got + ", the rows give " + e.getValue());
                } catch (SQLException x) {
                    uuidBad.add("setObject(UUID) " + c.name + ": " + err(x));
                }
                try {
                    long got = count(conn, sql, e.getKey(), true);
                    if (got != e.getValue()) uuidBad.add("setString " + c.name + " = " + e.getKey() + ": " + got + ", the rows give " + e.getValue());
                    uuidStates.merge("counted", 1, Integer::sum);
                } catch (SQLException x) {
                    if (unspecified || !"42883".equals(x.getSQLState())) uuidBad.add("setString " + c.name + ": " + err(x));
                    else uuidStates.merge(x.getSQLState() + " " + String.valueOf(x.getMessage()).split("\n")[0], 1, Integer::sum);
                }
            }
        }
        if (uuidFilters > 0) {
            if (uuidBad.isEmpty())
                ok(view + ": " + uuidFilters + " filters WHERE uuid_col = ? bound as java.util.UUID"
                   + (unspecified ? " and as a string (stringtype=unspecified)" : "") + " (" + REPEAT + " executions each): each counts the rows read");
            else
                fail(view + ": uuid filters: " + uuidBad);
        }
        scan.report(view);
    }

    static Map<String, Integer> clientCounts(Rows rows, int i) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String[] r : rows.text) if (r[i] != null) counts.merge(r[i], 1, Integer::sum);
        return counts;
    }

    @SuppressWarnings("unchecked")
    static int compare(Object a, Object b) { return ((Comparable<Object>) a).compareTo(b); }
    static boolean same(Object a, Object b) {
        if (a == null || b == null) return a == b;
        return compare(a, b) == 0;
    }

    static int preparedCount(Connection conn) {
        try (PreparedStatement st = conn.prepareStatement("SELECT count(*) FROM pg_prepared_statements"); ResultSet rs = st.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        } catch (SQLException x) {
            return -1;
        }
    }

    static String genericPlans(Connection conn) {
        try (PreparedStatement st = conn.prepareStatement("SELECT sum(generic_plans), sum(custom_plans) FROM pg_prepared_statements");
             ResultSet rs = st.executeQuery()) {
            rs.next();
            return rs.getString(1) + " (custom plans: " + rs.getString(2) + ")";
        } catch (SQLException x) {
            return "unknown (" + err(x) + ")";
        }
    }
}
