import { createHash } from 'node:crypto'
import { existsSync, readdirSync } from 'node:fs'
import pg from 'pg'
import { MigrateError } from '../../core/errors.ts'
import { isPgliteDataDir, openConnection, type PgConnection } from './connection.ts'
import type { PostgresLocation } from './url.ts'

/**
 * What the pipeline asks of a PostgreSQL database's catalogue. Everything is about the current
 * schema (current_schema(): the first of the search_path that exists), the one the engine diffs.
 */

export function quoteIdent(name: string): string {
  return pg.escapeIdentifier(name)
}

/** Ordinary and partitioned tables of the current schema (not the partitions themselves), by name. */
export async function listTables(c: PgConnection): Promise<string[]> {
  const rows = await c.query<{ name: string }>(`
    SELECT cl.relname AS name FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace
    WHERE n.nspname = current_schema() AND cl.relkind IN ('r', 'p') AND NOT cl.relispartition
    ORDER BY cl.relname COLLATE "C"`)
  return rows.map((r) => r.name)
}

export interface ColumnInfo {
  name: string
  /** As PostgreSQL writes it: `integer`, `character varying(20)`, `"Color"`. */
  type: string
  nullable: boolean
  /** The default's expression, or null. */
  default: string | null
}

export async function tableColumns(c: PgConnection, table: string): Promise<ColumnInfo[]> {
  return c.query<ColumnInfo>(`
    SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
           pg_get_expr(d.adbin, d.adrelid) AS "default"
    FROM pg_attribute a
    JOIN pg_class cl ON cl.oid = a.attrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE n.nspname = current_schema() AND cl.relname = $1 AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY a.attnum`, [table])
}

export async function rowCount(c: PgConnection, table: string): Promise<number> {
  const [row] = await c.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${quoteIdent(table)}`)
  return Number(row?.n ?? 0)
}

/**
 * 'missing' when the database (or PGlite folder) is not there — and it is left not there: creating
 * a database is a decision for the caller, never a side effect of looking. 'empty' when it holds
 * no table in the current schema.
 */
export async function databaseExists(location: PostgresLocation, timeoutMs = 10_000): Promise<'missing' | 'empty' | 'ok'> {
  if (location.kind === 'pglite') {
    if (!existsSync(location.dataDir) || (readdirSync(location.dataDir).length === 0 && !isPgliteDataDir(location.dataDir))) return 'missing'
  }
  let c: PgConnection
  try {
    c = await openConnection(location, timeoutMs)
  } catch (error) {
    if (error instanceof MigrateError && (error.cause as { code?: string } | undefined)?.code === '3D000') return 'missing'
    throw error
  }
  try {
    return (await listTables(c)).length === 0 ? 'empty' : 'ok'
  } finally {
    await c.close()
  }
}

/**
 * SHA-256 of a canonical text of everything a migration can change in the current schema: tables,
 * columns (type, nullability, default, identity, generation, collation), constraints, indexes,
 * enum types with their values in order, sequences with their parameters, and views. The history
 * table and what belongs to it are left out: recording a run must not change the fingerprint.
 * Row data and sequence positions are not schema and are left out too.
 */
export async function schemaFingerprint(c: PgConnection, historyTable: string): Promise<string> {
  return createHash('sha256').update((await schemaLines(c, historyTable)).join('\n')).digest('hex')
}

/**
 * The lines the fingerprint hashes, grouped by the object they describe: a table with its columns,
 * constraints and indexes, a view, an enum, a sequence.
 */
export async function schemaObjects(c: PgConnection, historyTable: string): Promise<{ name: string, hash: string }[]> {
  const groups = new Map<string, string[]>()
  const kinds = new Map<string, string>()
  for (const line of await schemaLines(c, historyTable)) {
    const [section, name] = line.split('\t')
    if (section === 'table' || section === 'view' || section === 'enum' || section === 'sequence') kinds.set(name!, section)
    groups.set(name!, [...(groups.get(name!) ?? []), line])
  }
  return [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, lines]) => ({ name: `${kinds.get(name) ?? 'table'} ${name}`, hash: createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 12) }))
}

async function schemaLines(c: PgConnection, historyTable: string): Promise<string[]> {
  const lines: string[] = []
  const add = (section: string, rows: Record<string, unknown>[]) => {
    for (const row of rows) lines.push(`${section}\t${Object.values(row).map((v) => v === null ? '∅' : String(v)).join('\t')}`)
  }
  // Relations of the current schema, minus the history table; every later query joins on this.
  const own = `SELECT cl.oid, cl.relname FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace
    WHERE n.nspname = current_schema() AND cl.relname <> $1`
  add('table', await c.query(`SELECT r.relname, cl.relkind, cl.relpersistence FROM (${own}) r JOIN pg_class cl ON cl.oid = r.oid
    WHERE cl.relkind IN ('r', 'p') ORDER BY r.relname COLLATE "C"`, [historyTable]))
  add('column', await c.query(`SELECT r.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
      pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, co.collname
    FROM (${own}) r JOIN pg_class cl ON cl.oid = r.oid
    JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 0 AND co.collname <> 'default'
    WHERE cl.relkind IN ('r', 'p', 'v', 'm')
    ORDER BY r.relname COLLATE "C", a.attnum`, [historyTable]))
  add('constraint', await c.query(`SELECT r.relname, con.conname, con.contype, pg_get_constraintdef(con.oid, true), con.condeferrable, con.condeferred
    FROM (${own}) r JOIN pg_constraint con ON con.conrelid = r.oid
    ORDER BY r.relname COLLATE "C", con.conname COLLATE "C"`, [historyTable]))
  add('index', await c.query(`SELECT r.relname, ic.relname AS index, pg_get_indexdef(i.indexrelid)
    FROM (${own}) r JOIN pg_index i ON i.indrelid = r.oid JOIN pg_class ic ON ic.oid = i.indexrelid
    ORDER BY r.relname COLLATE "C", ic.relname COLLATE "C"`, [historyTable]))
  add('enum', await c.query(`SELECT t.typname, e.enumsortorder::text, e.enumlabel
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
    WHERE n.nspname = current_schema() ORDER BY t.typname COLLATE "C", e.enumsortorder`))
  // Sequences, with the table and column that own them (a serial's); not those of the history table.
  add('sequence', await c.query(`SELECT s.relname, format_type(q.seqtypid, NULL), q.seqstart, q.seqincrement, q.seqmin, q.seqmax, q.seqcycle,
      owner.relname AS owner_table, oa.attname AS owner_column
    FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace JOIN pg_sequence q ON q.seqrelid = s.oid
    LEFT JOIN pg_depend dep ON dep.classid = 'pg_class'::regclass AND dep.objid = s.oid AND dep.refclassid = 'pg_class'::regclass AND dep.deptype IN ('a', 'i')
    LEFT JOIN pg_class owner ON owner.oid = dep.refobjid
    LEFT JOIN pg_attribute oa ON oa.attrelid = dep.refobjid AND oa.attnum = dep.refobjsubid
    WHERE n.nspname = current_schema() AND s.relkind = 'S' AND (owner.relname IS NULL OR owner.relname <> $1)
    ORDER BY s.relname COLLATE "C"`, [historyTable]))
  add('view', await c.query(`SELECT r.relname, cl.relkind, pg_get_viewdef(r.oid, true)
    FROM (${own}) r JOIN pg_class cl ON cl.oid = r.oid WHERE cl.relkind IN ('v', 'm') ORDER BY r.relname COLLATE "C"`, [historyTable]))
  return lines
}
