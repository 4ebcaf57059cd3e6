import { refuseUnnameableExternalTables } from '../external-tables.ts'
import { MigrateError, errorMessage } from '../../core/errors.ts'
import { startEngine, type EngineSession } from '../../engine/schema-engine.ts'
import type { LiveColumn, LiveSchema, Plan } from '../../pipeline/plan.ts'
import { applicableRenames, type Rename } from '../../pipeline/renames.ts'
import type { Findings, PushGuard, SessionOptions, TargetSession } from '../target.ts'
import { listTables, rowCount, schemaFingerprint, schemaObjects } from './catalogue.ts'
import type { PgConnection } from './connection.ts'
import { engineConnection } from './engine-adapter.ts'
import { checkHistoryTable, lastInSync, writeHistory } from './history.ts'
import { postgresLossReport } from './loss-report.ts'
import type { PostgresLocation } from './url.ts'

const NO_FINDINGS: Findings = { extraSteps: [], dataLoss: [], unwarned: () => [] }

/**
 * A run's session on PostgreSQL (a server or PGlite): the engine and our own queries on one
 * connection, inside one transaction (engine-adapter.ts). PostgreSQL changes tables in place and
 * its DDL is transactional, so what SQLite needs around a rebuild is not needed here: the push,
 * the verifying diff and the history row commit together or not at all.
 */
export async function openPostgresSession(location: PostgresLocation, options: SessionOptions): Promise<TargetSession> {
  // Even a check runs in a transaction it rolls back: its renames and its verdict's push must never stay.
  const ec = await engineConnection(location, { begin: true, timeoutMs: options.timeoutMs })
  let engine: EngineSession | undefined
  try {
    const c = ec.connection()
    // A table another session keeps locked (a long ALTER, LOCK TABLE) would hold the run, whose
    // catalogue reads take table locks too (pg_get_expr), for ever: wait as long as for the migrator's lock.
    await c.exec(`SET LOCAL lock_timeout = ${Math.max(1000, Math.round(options.timeoutMs))}`)
    await checkHistoryTable(c, options.historyTable)
    const tables = await listTables(c)
    const owned = new Set(options.owners.map((o) => o.table))
    const unmodelled = tables.filter((t) => !owned.has(t) && t !== options.historyTable)
    const live = await readLiveSchema(c)
    const renames: Rename[] = applicableRenames({ tables, columns: (table) => live.columns(table).map((col) => col.name) }, options.renameHints, options.historyTable)
    // On PostgreSQL the engine wants tables it must leave alone named with their schema.
    const [where] = await c.query<{ schema: string }>('SELECT current_schema() AS schema')
    if (!options.dropUnmodelledTables) refuseUnnameableExternalTables(unmodelled)
    const qualified = (table: string) => `${where?.schema ?? 'public'}.${table}`
    engine = await startEngine(ec.factory, 'postgresql', {
      externalTables: [options.historyTable, ...(options.dropUnmodelledTables ? [] : unmodelled)].map(qualified),
      externalEnums: [],
    })
    return session(c, engine, ec.end, { unmodelled, renames, options })
  } catch (error) {
    engine?.free()
    await ec.end('ROLLBACK')
    throw error
  }
}

function session(
  c: PgConnection,
  engine: EngineSession,
  endConnection: (how: 'COMMIT' | 'ROLLBACK') => Promise<void>,
  found: { unmodelled: string[], renames: Rename[], options: SessionOptions },
): TargetSession {
  const { options } = found
  let ended = false
  /** The renames this transaction ran: undone around the backup (see aroundBackup), then run again. */
  let renamed: string | undefined
  const end = async (how: 'COMMIT' | 'ROLLBACK') => {
    if (ended) return
    ended = true
    engine.free()
    await endConnection(how)
  }
  return {
    unmodelled: found.unmodelled,
    renames: found.renames,
    exec: async (sql) => {
      // Only the renames come through here, before the plan; a savepoint lets them be undone for the backup.
      await c.exec(renamed === undefined ? `SAVEPOINT migrate_plugin_renames; ${sql}` : sql)
      renamed = renamed === undefined ? sql : `${renamed}\n${sql}`
    },
    async aroundBackup(backup) {
      if (renamed === undefined) return backup()
      // ALTER TABLE … RENAME holds an ACCESS EXCLUSIVE lock until we commit, and pg_dump waits for
      // every table's lock while we wait for pg_dump: undo the renames (rolling back to the savepoint
      // releases their locks), dump the database as it is, then rename again.
      await c.exec('ROLLBACK TO SAVEPOINT migrate_plugin_renames')
      const taken = await backup()
      await c.exec(renamed)
      return taken
    },
    diff: (schema) => engine.diff(schema),
    push: async (schema, force) => {
      try {
        return await engine.push(schema, force)
      } catch (error) {
        throw explainPushError(error)
      }
    },
    liveSchema: () => readLiveSchema(c),
    findings: async () => NO_FINDINGS,
    lossReport: (plan, _findings, engineWarnings, digest) => postgresLossReport(c, plan, engineWarnings, digest),
    guardPush: async (plan) => countRows(c, plan),
    async verdict(plan, schema) {
      if (!plan.steps.some((s) => s.kind !== 'create table')) return undefined
      // A check's session is always rolled back: the push that tells the engine's warnings never stays.
      try {
        const pushed = await engine.push(schema, false)
        return { warnings: pushed.warnings, unexecutable: pushed.unexecutable }
      } catch (error) {
        return { warnings: [], unexecutable: [], previewError: errorMessage(explainPushError(error)) }
      }
    },
    lastInSync: () => lastInSync(c, options.historyTable),
    fingerprint: () => schemaFingerprint(c, options.historyTable),
    schemaObjects: () => schemaObjects(c, options.historyTable),
    writeHistory: (record) => writeHistory(c, options.historyTable, record),
    commit: () => end('COMMIT'),
    rollback: () => end('ROLLBACK'),
    close: () => end('ROLLBACK'),
  }
}

/**
 * PostgreSQL refuses to use an enum value in the transaction that added it ("unsafe use of new
 * value"), and the whole run is one transaction: say what to do instead of the server's words alone.
 */
function explainPushError(error: unknown): unknown {
  const message = errorMessage(error)
  if (/unknown variant `?InvalidInputValue/i.test(message)) {
    // adapter-pg reports SQLSTATE 22P02 as a kind the pinned engine cannot read, which hides the server's words.
    return new MigrateError('APPLY', 'PostgreSQL refused a value while changing the schema (invalid input value): most often rows still hold an enum value the models no longer list, or text a new column type cannot read', {
      hint: 'move those rows to a value the models keep (UPDATE "table" SET "column" = \'…\' WHERE "column" = \'…\'), then run again; the change was rolled back',
      cause: error,
    })
  }
  if (!/unsafe use of new value/i.test(message)) return error
  return new MigrateError('APPLY', `${message}: PostgreSQL cannot use an enum value in the same transaction that adds it, and migrate-plugin applies a run in one transaction`, {
    hint: 'split the change in two runs: first add the value to the enum (without using it as a default), apply; then use it as the default and apply again',
    cause: error,
  })
}

/** Every row of a table the plan alters (not creates or drops) must still be there after the push. */
async function countRows(c: PgConnection, plan: Plan): Promise<PushGuard> {
  const altered = [...new Set(plan.steps.filter((s) => s.kind !== 'create table' && s.kind !== 'drop table' && s.table !== '?').map((s) => s.table))]
  const existing = new Set(await listTables(c))
  const before = new Map<string, number>()
  for (const table of altered) if (existing.has(table)) before.set(table, await rowCount(c, table))
  return {
    finish: async () => {},
    async checkRows({ allowDataLoss }) {
      if (allowDataLoss) return
      const now = new Set(await listTables(c))
      const lost: string[] = []
      for (const [table, count] of before) {
        if (!now.has(table)) continue
        const after = await rowCount(c, table)
        if (after < count) lost.push(`${table} would keep ${after} of its ${count} rows`)
      }
      if (lost.length > 0) {
        throw new MigrateError('GUARD_DATA_LOSS', `refusing to lose data: ${lost.join('; ')}`, {
          step: 'guard', hint: 'this change drops rows the engine did not warn about; nothing was changed. If that is really what you want, run again with --accept-data-loss',
        })
      }
    },
    // The server enforces foreign keys and column types itself: a push that broke them failed.
    verify: async () => {},
    previewProblems: async () => undefined,
  }
}

/** The live columns and index owners, read once, for describing the plan's steps. */
async function readLiveSchema(c: PgConnection): Promise<LiveSchema> {
  const columns = await c.query<{ table: string, name: string, type: string, notnull: boolean, dflt_value: string | null, pk: boolean }>(`
    SELECT cl.relname AS "table", a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
           pg_get_expr(d.adbin, d.adrelid) AS dflt_value,
           EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = cl.oid AND i.indisprimary AND a.attnum = ANY (i.indkey)) AS pk
    FROM pg_attribute a JOIN pg_class cl ON cl.oid = a.attrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE n.nspname = current_schema() AND cl.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY cl.relname, a.attnum`)
  const indexes = await c.query<{ index: string, table: string }>(`
    SELECT ic.relname AS index, cl.relname AS "table" FROM pg_index i
    JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class cl ON cl.oid = i.indrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
    WHERE n.nspname = current_schema()`)
  const byTable = new Map<string, LiveColumn[]>()
  for (const col of columns) {
    const list = byTable.get(col.table) ?? []
    list.push({ name: col.name, type: col.type, notnull: col.notnull ? 1 : 0, dflt_value: col.dflt_value, pk: col.pk ? 1 : 0 })
    byTable.set(col.table, list)
  }
  const indexTable = new Map(indexes.map((i) => [i.index, i.table]))
  return {
    columns: (table) => byTable.get(table) ?? [],
    foreignKeys: () => [],
    indexTable: (index) => indexTable.get(index),
  }
}

