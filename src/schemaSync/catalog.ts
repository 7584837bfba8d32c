// What SchemaSync copies, read from a server's catalogs in one query whatever the number of tables:
// the tables with their partition trees, the user-defined types their columns need (enums,
// domains, composites, ranges; deepest first), and the extensions that own types. Definitions come
// from the server's own deparsers with an empty search_path, so every name arrives qualified and
// quoted by PostgreSQL itself, as pg_dump does.

import type { Session } from "../pg/session";
import { PORTABLE_TEXT } from "../pg/settings";
import { HEAP_BYTES } from "../pg/tableFacts";
import { tableId, type TableName, type TableSpec } from "../pg/tables";
import type { SchemaSnapshot, TypeDefinition } from "./snapshot";

/** A user-defined type `t` as a TypeDefinition (JSON), deparsed by the server. */
const TYPE_JSON = `json_build_object(
      'name', pg_catalog.format_type(t.oid, NULL),
      'schema', (SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = t.typnamespace),
      'kind', CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain' WHEN 'c' THEN 'composite' WHEN 'r' THEN 'range' ELSE t.typtype::text END,
      'labels', CASE WHEN t.typtype = 'e' THEN (SELECT json_agg(enumlabel ORDER BY enumsortorder) FROM pg_catalog.pg_enum WHERE enumtypid = t.oid) END,
      'base', CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END,
      'notNull', CASE WHEN t.typtype = 'd' AND t.typnotnull THEN true END,
      'default', t.typdefault,
      'checks', CASE WHEN t.typtype = 'd' THEN (SELECT json_object_agg(con.conname, pg_catalog.pg_get_constraintdef(con.oid))
                   FROM pg_catalog.pg_constraint con WHERE con.contypid = t.oid AND con.contype = 'c') END,
      'attributes', CASE WHEN t.typtype = 'c' THEN (SELECT json_agg(json_build_object('name', a.attname,
                       'type', pg_catalog.format_type(a.atttypid, a.atttypmod)) ORDER BY a.attnum)
                   FROM pg_catalog.pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) END,
      'subtype', CASE WHEN t.typtype = 'r' THEN (SELECT pg_catalog.format_type(r.rngsubtype, NULL) FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid) END
    )`;

/** The tables asked for ($1 schemas, $2 names) with their partition trees, and the user types they need. */
const SCOPE = `
WITH RECURSIVE wanted AS (
  SELECT c.oid, c.relkind = 'p' OR c.relispartition AS partitioned FROM unnest($1::text[], $2::text[]) AS w(schema, name)
    JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema
    JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name AND c.relkind IN ('r', 'p')
), tree AS (
  SELECT oid FROM wanted
  UNION
  SELECT t.relid FROM wanted w, LATERAL pg_catalog.pg_partition_tree(pg_catalog.pg_partition_root(w.oid)) AS t
   WHERE w.partitioned
), rels AS (
  SELECT c.oid, n.nspname, c.relname, c.relkind, c.relreplident::text AS replident, c.relispartition
    FROM tree JOIN pg_catalog.pg_class c ON c.oid = tree.oid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p')
), types (oid, depth) AS (
  SELECT DISTINCT a.atttypid, 0 FROM rels r
    JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
  UNION
  SELECT d.oid, ty.depth + 1 FROM types ty
    JOIN pg_catalog.pg_type t ON t.oid = ty.oid
    CROSS JOIN LATERAL (
      SELECT nullif(t.typelem, 0) UNION ALL SELECT nullif(t.typbasetype, 0)
      UNION ALL SELECT r.rngsubtype FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid
      UNION ALL SELECT a.atttypid FROM pg_catalog.pg_attribute a
                 WHERE t.typtype = 'c' AND a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
    ) AS d(oid)
   WHERE d.oid IS NOT NULL AND ty.depth < 20
), user_types AS (
  SELECT t.oid, max(ty.depth) AS depth FROM types ty
    JOIN pg_catalog.pg_type t ON t.oid = ty.oid
    JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.typarray = t.oid)
   GROUP BY t.oid
`;

/** The snapshot query; `LOCALE` stands for the collation locale column, which moved between versions. */
const QUERY = `${SCOPE}), detailed AS (  -- tables whose column use is needed (column-listed ones)
  SELECT c.oid FROM unnest($1::text[], $2::text[], $3::bool[]) AS w(schema, name, detail)
    JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema
    JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name
   WHERE w.detail
), owned AS (
  SELECT ut.oid, ut.depth, e.extname FROM user_types ut
    LEFT JOIN pg_catalog.pg_depend dep ON dep.classid = 'pg_catalog.pg_type'::pg_catalog.regclass
         AND dep.objid = ut.oid AND dep.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND dep.deptype = 'e'
    LEFT JOIN pg_catalog.pg_extension e ON e.oid = dep.refobjid
)
SELECT json_build_object(
  'collations', (SELECT coalesce(json_agg(json_strip_nulls(json_build_object(
      'name', pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname), 'schema', cn.nspname,
      'provider', CASE co.collprovider WHEN 'i' THEN 'icu' WHEN 'c' THEN 'libc' WHEN 'b' THEN 'builtin' ELSE co.collprovider::text END,
      'locale', CASE WHEN co.collprovider = 'i' THEN coalesce(LOCALE, co.collcollate::text) WHEN co.collprovider = 'b' THEN LOCALE END,
      'lcCollate', CASE WHEN co.collprovider = 'c' THEN co.collcollate::text END,
      'lcCtype', CASE WHEN co.collprovider = 'c' THEN co.collctype::text END,
      'deterministic', co.collisdeterministic)) ORDER BY cn.nspname, co.collname), '[]')
    FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
   WHERE cn.nspname <> 'pg_catalog' AND co.oid IN (
     SELECT a.attcollation FROM rels r JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped)),
  'extensions', (SELECT coalesce(json_agg(json_build_object('name', x.extname, 'schema', en.nspname) ORDER BY x.extname), '[]')
    FROM (
      SELECT extname FROM owned WHERE extname IS NOT NULL
      UNION  -- operator classes of the tables' indexes (btree_gist for an exclusion constraint, …)
      SELECT e.extname FROM rels r
        JOIN pg_catalog.pg_index i ON i.indrelid = r.oid
        CROSS JOIN LATERAL unnest(i.indclass::oid[]) AS oc(oid)
        JOIN pg_catalog.pg_depend dep ON dep.classid = 'pg_catalog.pg_opclass'::pg_catalog.regclass
             AND dep.objid = oc.oid AND dep.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND dep.deptype = 'e'
        JOIN pg_catalog.pg_extension e ON e.oid = dep.refobjid) AS x
    JOIN pg_catalog.pg_extension ex ON ex.extname = x.extname
    JOIN pg_catalog.pg_namespace en ON en.oid = ex.extnamespace),
  'types', (SELECT coalesce(json_agg(json_strip_nulls(${TYPE_JSON}) ORDER BY o.depth DESC, t.oid), '[]')
    FROM owned o JOIN pg_catalog.pg_type t ON t.oid = o.oid WHERE o.extname IS NULL),
  'tables', (SELECT coalesce(json_agg(json_strip_nulls(json_build_object(
      'schema', r.nspname, 'name', r.relname, 'replicaIdentity', r.replident,
      'identityIndex', (SELECT ic.relname FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
                         WHERE i.indrelid = r.oid AND i.indisreplident AND r.replident = 'i'),
      'partitionKey', CASE WHEN r.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(r.oid) END,
      'partitionOf', CASE WHEN r.relispartition THEN (
          SELECT json_build_object('schema', pn.nspname, 'name', pc.relname,
                                   'bound', pg_catalog.pg_get_expr(c.relpartbound, c.oid))
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_inherits inh ON inh.inhrelid = c.oid
            JOIN pg_catalog.pg_class pc ON pc.oid = inh.inhparent JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
           WHERE c.oid = r.oid) END,
      'columns', (SELECT coalesce(json_agg(json_strip_nulls(json_build_object(
           'name', a.attname,
           'attnum', a.attnum,
           'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
           'notNull', a.attnotnull,
           'default', CASE WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END,
           'generated', CASE WHEN a.attgenerated <> '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END,
           'virtual', CASE WHEN a.attgenerated = 'v' THEN true END,
           'identity', nullif(a.attidentity::text, ''),
           -- identity sequence options that differ from what GENERATED … AS IDENTITY would choose
           'identityOptions', CASE WHEN a.attidentity <> '' THEN (
               SELECT nullif(concat_ws(' ',
                 CASE WHEN sn.nspname <> r.nspname OR sc.relname <> r.relname || '_' || a.attname || '_seq'
                      THEN 'SEQUENCE NAME ' || pg_catalog.quote_ident(sn.nspname) || '.' || pg_catalog.quote_ident(sc.relname) END,
                 CASE WHEN sq.seqstart <> CASE WHEN sq.seqincrement > 0 THEN sq.seqmin ELSE sq.seqmax END
                      THEN 'START WITH ' || sq.seqstart END,
                 CASE WHEN sq.seqincrement <> 1 THEN 'INCREMENT BY ' || sq.seqincrement END,
                 CASE WHEN sq.seqmin <> CASE WHEN sq.seqincrement > 0 THEN 1 ELSE lim.lo END THEN 'MINVALUE ' || sq.seqmin END,
                 CASE WHEN sq.seqmax <> CASE WHEN sq.seqincrement > 0 THEN lim.hi ELSE -1 END THEN 'MAXVALUE ' || sq.seqmax END,
                 CASE WHEN sq.seqcache <> 1 THEN 'CACHE ' || sq.seqcache END,
                 CASE WHEN sq.seqcycle THEN 'CYCLE' END), '')
                 FROM pg_catalog.pg_depend dep
                 JOIN pg_catalog.pg_class sc ON sc.oid = dep.objid
                 JOIN pg_catalog.pg_namespace sn ON sn.oid = sc.relnamespace
                 JOIN pg_catalog.pg_sequence sq ON sq.seqrelid = sc.oid
                 CROSS JOIN LATERAL (SELECT CASE sq.seqtypid WHEN 'pg_catalog.int2'::pg_catalog.regtype THEN -32768
                                      WHEN 'pg_catalog.int4'::pg_catalog.regtype THEN -2147483648 ELSE -9223372036854775808 END AS lo,
                                    CASE sq.seqtypid WHEN 'pg_catalog.int2'::pg_catalog.regtype THEN 32767
                                      WHEN 'pg_catalog.int4'::pg_catalog.regtype THEN 2147483647 ELSE 9223372036854775807 END AS hi) lim
                WHERE dep.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND dep.refobjid = r.oid
                  AND dep.refobjsubid = a.attnum AND dep.deptype = 'i') END,
           'storage', CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage::text END,
           'compression', nullif(a.attcompression::text, ''),
           'statistics', STATTARGET,
           'collation', CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
                             THEN pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END,
           -- The value rows older than the column hold (a default that is not volatile, kept by
           -- ADD COLUMN); a partitioned table's, from its leaf partitions (unknown where they differ).
           -- Else unknown where the default calls a volatile function (by name; nextval is read
           -- from the default itself): ADD COLUMN wrote it row by row.
           'olderRows', COALESCE(CASE WHEN a.atthasmissing
                               THEN json_build_object('value', pg_catalog.array_to_string(a.attmissingval, ''))
                             WHEN r.relkind = 'p' THEN (
               SELECT CASE WHEN count(DISTINCT m.v) = 1 THEN json_build_object('value', min(m.v))
                           WHEN count(*) > 0 THEN json_build_object('unknown', true) END
                 FROM (SELECT pg_catalog.array_to_string(la.attmissingval, '') AS v
                         FROM pg_catalog.pg_partition_tree(r.oid) pt
                         JOIN pg_catalog.pg_attribute la ON la.attrelid = pt.relid AND la.attname = a.attname
                        WHERE pt.isleaf AND la.atthasmissing) m) END,
             CASE WHEN d.adbin IS NOT NULL AND a.attgenerated = ''
                       AND pg_catalog.pg_get_expr(d.adbin, d.adrelid) NOT LIKE 'nextval(%'
                       AND EXISTS (SELECT 1 FROM pg_catalog.regexp_matches(pg_catalog.pg_get_expr(d.adbin, d.adrelid),
                                                 '([[:alpha:]_][[:alnum:]_$]*)[(]', 'g') AS f(m)
                                     JOIN pg_catalog.pg_proc pr ON pr.proname = f.m[1] AND pr.provolatile = 'v')
                  THEN json_build_object('unknown', true) END)
         )) ORDER BY a.attnum), '[]')
         FROM pg_catalog.pg_attribute a
         JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
         LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
         LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
        WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped AND NOT r.relispartition),
      'constraints', (SELECT coalesce(json_object_agg(con.conname, json_build_object(
           'type', con.contype, 'definition', pg_catalog.pg_get_constraintdef(con.oid))), '{}')
         FROM pg_catalog.pg_constraint con
        WHERE con.conrelid = r.oid AND con.contype IN ('p', 'u', 'c', 'f', 'x') AND con.conislocal AND con.conparentid = 0),
      'indexes', (SELECT coalesce(json_object_agg(ic.relname, pg_catalog.pg_get_indexdef(i.indexrelid)), '{}')
         FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
        WHERE i.indrelid = r.oid
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c2 WHERE c2.conindid = i.indexrelid
                             AND c2.conrelid = r.oid AND c2.contype IN ('p', 'u', 'x'))
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits ii WHERE ii.inhrelid = i.indexrelid)),
      'columnUse', CASE WHEN r.oid IN (SELECT oid FROM detailed) THEN (SELECT json_object_agg(x.name, x.cols) FROM (
           SELECT con.conname AS name, (SELECT json_agg(a.attname ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
                                         WHERE a.attrelid = r.oid AND a.attnum = ANY (con.conkey)) AS cols
             FROM pg_catalog.pg_constraint con
            WHERE con.conrelid = r.oid AND con.contype IN ('p', 'u', 'c', 'f', 'x') AND con.conislocal AND con.conparentid = 0
           UNION ALL
           SELECT ic.relname, CASE WHEN i.indexprs IS NULL AND i.indpred IS NULL THEN
                    (SELECT json_agg(a.attname ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
                      WHERE a.attrelid = r.oid AND a.attnum = ANY (i.indkey::int2[])) END
             FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = r.oid) AS x) END,
      -- Sequences its columns' defaults use that are not its own (shared, or another table's).
      'uses', (SELECT json_agg(json_strip_nulls(json_build_object('schema', sn.nspname, 'name', sc.relname,
           'type', pg_catalog.format_type(sq.seqtypid, NULL),
           'options', SEQUENCE_OPTIONS,
           'owner', (SELECT json_build_object('schema', own.nspname, 'name', oc.relname)
                       FROM pg_catalog.pg_depend od
                       JOIN pg_catalog.pg_class oc ON oc.oid = od.refobjid
                       JOIN pg_catalog.pg_namespace own ON own.oid = oc.relnamespace
                      WHERE od.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND od.objid = sc.oid
                        AND od.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND od.deptype IN ('a', 'i') LIMIT 1)
         )) ORDER BY sn.nspname, sc.relname)
         FROM (SELECT DISTINCT dep.refobjid AS oid
                 FROM pg_catalog.pg_attrdef ad
                 JOIN pg_catalog.pg_depend dep ON dep.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass
                      AND dep.objid = ad.oid AND dep.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
                WHERE ad.adrelid = r.oid) u
         JOIN pg_catalog.pg_class sc ON sc.oid = u.oid AND sc.relkind = 'S'
         JOIN pg_catalog.pg_namespace sn ON sn.oid = sc.relnamespace
         JOIN pg_catalog.pg_sequence sq ON sq.seqrelid = sc.oid
        WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d2
                           WHERE d2.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d2.objid = sc.oid
                             AND d2.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
                             AND d2.refobjid = r.oid AND d2.deptype IN ('a', 'i'))),
      'sequences', (SELECT coalesce(json_agg(json_build_object('schema', sn.nspname, 'name', sc.relname,
           'type', pg_catalog.format_type(sq.seqtypid, NULL), 'column', a.attname, 'options', SEQUENCE_OPTIONS,
           -- exactly what serial/bigserial would have made: default name, parameters and default
           'serial', sn.nspname = r.nspname AND sc.relname = r.relname || '_' || a.attname || '_seq'
             AND a.attnotnull AND sq.seqtypid = a.atttypid AND sq.seqstart = 1 AND sq.seqincrement = 1
             AND sq.seqmin = 1 AND sq.seqcache = 1 AND NOT sq.seqcycle
             AND sq.seqmax = CASE sq.seqtypid WHEN 'pg_catalog.int2'::pg_catalog.regtype THEN 32767
                                WHEN 'pg_catalog.int4'::pg_catalog.regtype THEN 2147483647 ELSE 9223372036854775807 END
             AND pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) = 'nextval(' || pg_catalog.quote_literal(
                   pg_catalog.quote_ident(sn.nspname) || '.' || pg_catalog.quote_ident(sc.relname)) || '::regclass)'
           ) ORDER BY sc.relname), '[]')
         FROM pg_catalog.pg_depend dep
         JOIN pg_catalog.pg_class sc ON sc.oid = dep.objid AND sc.relkind = 'S'
         JOIN pg_catalog.pg_sequence sq ON sq.seqrelid = sc.oid
         JOIN pg_catalog.pg_namespace sn ON sn.oid = sc.relnamespace
         JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum = dep.refobjsubid
         LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
        WHERE dep.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND dep.refobjid = r.oid
          AND dep.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND dep.deptype = 'a')
    )) ORDER BY CASE WHEN r.relispartition THEN (SELECT count(*) FROM pg_catalog.pg_partition_ancestors(r.oid)) ELSE 0 END,
                r.nspname, r.relname), '[]') FROM rels r)
) AS snapshot`;

/**
 * A cheap fingerprint of everything readSchema would deparse: the transaction ids (xmin) of the
 * catalog rows behind the tables, their columns, defaults, constraints, indexes, partitions, owned
 * sequences, schemas and user types. Any DDL on them rewrites one of these rows (ANALYZE and VACUUM
 * update pg_class in place and do not), so an unchanged fingerprint means unchanged definitions
 * and the deparsing — most of a preview's cost on many tables — can be skipped.
 */
const FINGERPRINT = `${SCOPE}), objs (k) AS (
  SELECT 'c' || c.oid || ':' || c.xmin || ':' || c.relname FROM rels r JOIN pg_catalog.pg_class c ON c.oid = r.oid
  UNION ALL SELECT 'n' || n.oid || ':' || n.xmin FROM pg_catalog.pg_namespace n WHERE n.oid IN (
    SELECT c.relnamespace FROM rels r JOIN pg_catalog.pg_class c ON c.oid = r.oid)
  UNION ALL SELECT 'a' || a.attrelid || '.' || a.attnum || ':' || a.xmin FROM rels r
    JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0
  UNION ALL SELECT 'd' || d.oid || ':' || d.xmin FROM rels r JOIN pg_catalog.pg_attrdef d ON d.adrelid = r.oid
  UNION ALL SELECT 'k' || k.oid || ':' || k.xmin FROM rels r JOIN pg_catalog.pg_constraint k ON k.conrelid = r.oid
  UNION ALL SELECT 'i' || i.indexrelid || ':' || i.xmin || ':' || ic.xmin FROM rels r
    JOIN pg_catalog.pg_index i ON i.indrelid = r.oid JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
  UNION ALL SELECT 'h' || h.inhrelid || ':' || h.xmin FROM rels r JOIN pg_catalog.pg_inherits h ON h.inhparent = r.oid
  UNION ALL SELECT 's' || q.seqrelid || ':' || q.xmin || ':' || dep.refobjsubid FROM rels r
    JOIN pg_catalog.pg_depend dep ON dep.refobjid = r.oid AND dep.deptype = 'a'
         AND dep.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
    JOIN pg_catalog.pg_sequence q ON q.seqrelid = dep.objid
  UNION ALL SELECT 't' || t.oid || ':' || t.xmin FROM user_types u JOIN pg_catalog.pg_type t ON t.oid = u.oid
  UNION ALL SELECT 'e' || e.oid || ':' || e.xmin FROM user_types u JOIN pg_catalog.pg_enum e ON e.enumtypid = u.oid
  UNION ALL SELECT 'y' || k.oid || ':' || k.xmin FROM user_types u JOIN pg_catalog.pg_constraint k ON k.contypid = u.oid
)
-- An order-independent sum of 64-bit hashes: no sort of thousands of strings.
SELECT count(*) || ':' || coalesce(sum(pg_catalog.hashtextextended(k, 0)::numeric), 0) AS fingerprint FROM objs`;

export async function readFingerprint(s: Session, tables: readonly TableSpec[]): Promise<string> {
  const rows = await s.query<{ fingerprint: string }>(FINGERPRINT, [
    tables.map((t) => t.schema),
    tables.map((t) => t.name),
  ]);
  return rows[0]!.fingerprint;
}

/** A sequence's parameters (pg_sequence sq) as CREATE SEQUENCE takes them, from numbers only. */
const SEQUENCE_OPTIONS = `concat_ws(' ', CASE WHEN sq.seqincrement <> 1 THEN 'INCREMENT BY ' || sq.seqincrement END,
                        'MINVALUE ' || sq.seqmin, 'MAXVALUE ' || sq.seqmax, 'START WITH ' || sq.seqstart,
                        CASE WHEN sq.seqcache <> 1 THEN 'CACHE ' || sq.seqcache END,
                        CASE WHEN sq.seqcycle THEN 'CYCLE' END)`;

/** The session settings readSchema reads under (reset before the connection is reused: see Session.set). */
export async function schemaReadSettings(s: Session): Promise<void> {
  // Deparsed names come out fully qualified with an empty search_path; constants (defaults, the
  // values older rows hold) in forms every server reads back alike.
  await s.set([["search_path", ""], ...PORTABLE_TEXT]);
}

/**
 * Reads the given tables (with their partition trees), their types and extensions. Tables given
 * with `columns` also get `columnUse`, for projectColumns.
 */
export async function readSchema(s: Session, tables: readonly TableSpec[]): Promise<SchemaSnapshot> {
  await schemaReadSettings(s);
  // pg_collation's locale column: colllocale since PG17, colliculocale in PG15–16, none before.
  const locale =
    s.serverVersion >= 170000
      ? "co.colllocale"
      : s.serverVersion >= 150000
        ? "co.colliculocale"
        : "NULL::text";
  // attstattarget: NULL for the default since PG17, -1 before.
  const stattarget =
    s.serverVersion >= 170000 ? "a.attstattarget" : "CASE WHEN a.attstattarget >= 0 THEN a.attstattarget END";
  const query = QUERY.replace(/\bLOCALE\b/g, locale)
    .replace(/\bSTATTARGET\b/g, stattarget)
    .replace(/\bSEQUENCE_OPTIONS\b/g, SEQUENCE_OPTIONS);
  const rows = await s.query<{ snapshot: SchemaSnapshot }>(query, [
    tables.map((t) => t.schema),
    tables.map((t) => t.name),
    tables.map((t) => t.columns !== undefined),
  ]);
  return rows[0]!.snapshot;
}

/**
 * The user-defined types of the given (qualified, quoted) names that exist, whatever uses them:
 * a type another SchemaSync created on the same target is reused, not created again.
 */
/** A relation's name in a schema, and the table it belongs to (an index's, a sequence's owner). */
export interface RelationName {
  schema: string;
  name: string;
  /** r, p, i, I, S, v, m, f, c (pg_class.relkind). */
  kind: string;
  /** For an index, the table it is on. */
  table?: string;
}

/** Every relation name of these schemas (names clash across tables, indexes and sequences). */
export async function readRelationNames(s: Session, schemas: readonly string[]): Promise<RelationName[]> {
  const rows = await s.query<{ schema: string; name: string; kind: string; table: string | null }>(
    `SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind, t.relname AS "table"
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid
       LEFT JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
      WHERE n.nspname = ANY($1::text[]) AND c.relkind <> 't'`,
    [schemas],
  );
  return rows.map((r) => ({
    schema: r.schema,
    name: r.name,
    kind: r.kind,
    ...(r.table !== null ? { table: r.table } : {}),
  }));
}

export async function readTypesByName(s: Session, names: readonly string[]): Promise<TypeDefinition[]> {
  if (names.length === 0) return [];
  await schemaReadSettings(s);
  const rows = await s.query<{ t: TypeDefinition }>(
    `SELECT json_strip_nulls(${TYPE_JSON}) AS t FROM pg_catalog.pg_type t
      WHERE t.typtype IN ('e', 'd', 'c', 'r') AND pg_catalog.format_type(t.oid, NULL) = ANY($1::text[])
        AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_catalog.pg_class WHERE oid = t.typrelid) = 'c')`,
    [names],
  );
  return rows.map((r) => r.t);
}

/** Extensions installed on a server, and those it could install. */
export async function readExtensions(s: Session): Promise<{ installed: string[]; available: string[] }> {
  const rows = await s.query<{ name: string; installed: boolean }>(
    "SELECT name, installed_version IS NOT NULL AS installed FROM pg_catalog.pg_available_extensions",
  );
  return {
    installed: rows.filter((r) => r.installed).map((r) => r.name),
    available: rows.map((r) => r.name),
  };
}

/**
 * The bytes of each of these tables' heap that exist here (a partitioned table: its partitions'
 * summed), by tableId: what an index build or a validation over it reads.
 */
export async function readHeapBytes(s: Session, tables: readonly TableName[]): Promise<Map<string, number>> {
  const rows = await s.query<{ schema: string; name: string; bytes: string }>(
    `SELECT n.nspname AS schema, c.relname AS name,
            ${HEAP_BYTES} AS bytes
       FROM unnest($1::text[], $2::text[]) AS w(schema, name)
       JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema
       JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name AND c.relkind IN ('r', 'p')`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
  return new Map(rows.map((r) => [tableId(r), Number(r.bytes)]));
}

export interface TargetAccess {
  /** Each schema the copy needs: whether it exists, and whether the role may create objects in it. */
  schemas: { name: string; exists: boolean; canCreate: boolean }[];
  /** Each extension the copy needs: installed already, or else installable by this role. */
  extensions: { name: string; installed: boolean; trusted: boolean; available: boolean }[];
}

/** What the target lets the connecting role do with the schemas and extensions a copy needs. */
export async function readTargetAccess(
  s: Session,
  schemas: readonly string[],
  extensions: readonly string[],
): Promise<TargetAccess> {
  const schemaRows = await s.query<{ name: string; exists: boolean; canCreate: boolean }>(
    `SELECT w.name, n.oid IS NOT NULL AS exists,
            coalesce(pg_catalog.has_schema_privilege(n.oid, 'CREATE'), false) AS "canCreate"
       FROM unnest($1::text[]) AS w(name) LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = w.name`,
    [schemas],
  );
  const extensionRows = await s.query<{
    name: string;
    installed: boolean;
    trusted: boolean;
    available: boolean;
  }>(
    `SELECT w.name, e.installed_version IS NOT NULL AS installed, coalesce(v.trusted, false) AS trusted,
            e.name IS NOT NULL AS available
       FROM unnest($1::text[]) AS w(name)
       LEFT JOIN pg_catalog.pg_available_extensions e ON e.name = w.name
       LEFT JOIN pg_catalog.pg_available_extension_versions v ON v.name = e.name AND v.version = e.default_version`,
    [extensions],
  );
  return { schemas: schemaRows, extensions: extensionRows };
}
