import { databaseMissing, loadConfig, type ConfigOverrides, type ResolvedConfig } from '../core/config.ts'
import { refuseReadOnly } from '../core/outputs.ts'
import { backupFilesOf, targetFor } from '../targets/index.ts'
import { hasTable } from '../targets/sqlite/history.ts'
import type { BackupFile, RestoreResult, StatusReport } from '../types.ts'
import type { HistoryRecord } from './history-record.ts'
import { migrate, prepare, writeSchema } from './migrate.ts'
// The public shapes live in types.ts (which imports nothing, so the shipped declarations stand alone).
export type { RestoreResult, StatusReport, UndoneRun } from '../types.ts'

/** The read-only commands (status, history, backups), restore, and generate. */
export interface CommonOptions {
  root?: string
  config?: string
  overrides?: ConfigOverrides
  env?: NodeJS.ProcessEnv
}

function configOf(options: CommonOptions): ResolvedConfig {
  return loadConfig({
    ...(options.root ? { root: options.root } : {}),
    ...(options.config ? { configFile: options.config } : {}),
    ...(options.overrides ? { overrides: options.overrides } : {}),
    ...(options.env ? { env: options.env } : {}),
  })
}

export async function status(options: CommonOptions): Promise<StatusReport> {
  const prepared = await prepare(options)
  const { config, schema } = prepared
  const pending = await migrate({ ...options, prepared, command: 'check' })
  const owners = new Map(schema.owners.map((o) => [o.table.toLowerCase(), o.file]))
  const byFile = new Map<string, string[]>()
  for (const o of schema.owners) byFile.set(o.file, [...(byFile.get(o.file) ?? []), o.table])
  const target = await targetFor(config)
  const tables = (await target.tables(config.historyTable)).map(({ name, rows }) => {
    const file = owners.get(name.toLowerCase())
    return file ? { name, rows, file } : { name, rows }
  })
  const lastMigration = (await target.readHistory(config.historyTable, 1))[0]
  const { pendingPlanNames } = await import('../plans/pending.ts')
  return {
    config,
    databaseExists: !databaseMissing(config),
    models: [...byFile].sort(([a], [b]) => a.localeCompare(b)).map(([file, t]) => ({ file, tables: t.sort() })),
    tables,
    unmodelledTables: pending.unmodelledTables,
    pending,
    pendingPlans: await pendingPlanNames(config),
    ...(lastMigration ? { lastMigration } : {}),
  }
}

export async function history(options: CommonOptions & { limit?: number }): Promise<{ config: ResolvedConfig, entries: HistoryRecord[] }> {
  const config = configOf(options)
  const entries = await (await targetFor(config)).readHistory(config.historyTable, options.limit ?? 20)
  return { config, entries }
}

export function backups(options: CommonOptions): { config: ResolvedConfig, backups: BackupFile[] } {
  const config = configOf(options)
  return { config, backups: backupFilesOf(config) }
}

export interface RestoreOptions extends CommonOptions {
  /** A backup file name or path; default: the newest. */
  backup?: string
  yes?: boolean
  /** Asked with the backup and the database it would replace. */
  confirm?: (backup: BackupFile, databasePath: string) => Promise<boolean>
  trigger?: string
}

export async function restore(options: RestoreOptions): Promise<RestoreResult> {
  const config = configOf(options)
  refuseReadOnly(config, 'restore')
  const { backup, yes, confirm, trigger } = options
  return (await targetFor(config)).restore(config, { ...(backup !== undefined ? { backup } : {}), ...(yes !== undefined ? { yes } : {}), ...(confirm ? { confirm } : {}), ...(trigger ? { trigger } : {}) })
}

export async function generate(options: CommonOptions): Promise<{ config: ResolvedConfig, path: string, changed: boolean, tables: number }> {
  const { config, schema } = await prepare(options)
  const changed = writeSchema(config, schema)
  return { config, path: config.schemaOutput, changed, tables: schema.owners.length }
}

export { hasTable }
