import { asSuperuser } from './postgres.ts'

/**
 * Everything a refused run must leave as it was on a PostgreSQL database: the columns, constraints,
 * indexes, enum types and sequences of the public schema, and every row of every table. With
 * `history: false` the history table (and its id sequence) is left out, for runs that record a
 * rolled-back attempt.
 */
export async function snapshot(database: string, options: { history?: boolean } = {}): Promise<unknown> {
  return asSuperuser(async (c) => {
    const q = async <T = Record<string, unknown>>(sql: string) => (await c.query(sql)).rows as T[]
    const kept = (name: string) => options.history !== false || !name.startsWith('_migration_history')
    const tables = (await q<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).map((r) => r.t).filter(kept)
    const rows: Record<string, string[]> = {}
    for (const t of tables) rows[t] = (await q<{ r: string }>(`SELECT to_jsonb(x)::text AS r FROM "${t.replace(/"/g, '""')}" x`)).map((r) => r.r).sort()
    return {
      columns: await q(`SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`),
      constraints: await q(`SELECT conrelid::regclass::text AS rel, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2`),
      indexes: await q(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2`),
      enums: await q(`SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname ORDER BY 1`),
      sequences: (await q<{ sequencename: string }>(`SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1`)).filter((r) => kept(r.sequencename)),
      rows,
    }
  }, database)
}
