import pg from 'pg'

/**
 * The history table on PostgreSQL: the columns of ensureHistoryTable in core/history.ts, in the same
 * order, so that one HistoryRecord is written the same way on every target. TEXT throughout (times
 * are the ISO strings the SQLite table holds), the id an identity column.
 */
export const HISTORY_COLUMNS: readonly { name: string, type: string }[] = [
  { name: 'id', type: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY' },
  { name: 'migration_id', type: 'TEXT NOT NULL UNIQUE' },
  { name: 'started_at', type: 'TEXT NOT NULL' },
  { name: 'finished_at', type: 'TEXT NOT NULL' },
  { name: 'status', type: 'TEXT NOT NULL' },
  { name: 'description', type: 'TEXT NOT NULL' },
  { name: 'steps', type: 'TEXT NOT NULL' },
  { name: 'model_files', type: 'TEXT NOT NULL' },
  { name: 'schema_hash', type: 'TEXT NOT NULL' },
  { name: 'db_fingerprint', type: 'TEXT' },
  { name: 'sql', type: 'TEXT NOT NULL' },
  { name: 'warnings', type: 'TEXT NOT NULL' },
  { name: 'error', type: 'TEXT' },
  { name: 'failed_step', type: 'TEXT' },
  { name: 'backup_path', type: 'TEXT' },
  { name: 'duration_ms', type: 'INTEGER NOT NULL' },
  { name: 'trigger', type: 'TEXT NOT NULL' },
  { name: 'tool_version', type: 'TEXT NOT NULL' },
]

export function historyTableDdl(table: string): string {
  const columns = HISTORY_COLUMNS.map((c) => `  ${pg.escapeIdentifier(c.name)} ${c.type}`).join(',\n')
  return `CREATE TABLE IF NOT EXISTS ${pg.escapeIdentifier(table)} (\n${columns}\n)`
}

/**
 * The columns of a table under the history's name in the current schema, for telling our table from
 * somebody else's before anything is written (as checkHistoryTable does on SQLite). One parameter:
 * the table name. No row: no such table. `kind` is the relation's kind ('BASE TABLE', 'VIEW', …).
 */
export const historyColumnsQuery = `
  SELECT t.table_type AS kind, c.column_name AS name, c.is_nullable = 'YES' AS nullable,
         c.column_default IS NOT NULL OR c.is_identity = 'YES' OR c.is_generated = 'ALWAYS' AS has_default
  FROM information_schema.tables t
  LEFT JOIN information_schema.columns c ON c.table_schema = t.table_schema AND c.table_name = t.table_name
  WHERE t.table_schema = current_schema() AND t.table_name = $1
  ORDER BY c.ordinal_position`
