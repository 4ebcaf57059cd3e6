/**
 * migrate-plugin: the pipeline, the commands behind the CLI, and the model DSL.
 *
 * Each function is assigned to a type from types.ts rather than re-exported from core/, so that
 * the shipped declarations name only this package's own types (see types.ts), and `tsc` checks
 * that the real function still fits them.
 */
import * as config from './core/config.ts'
import * as inspect from './pipeline/inspect.ts'
import * as pipeline from './pipeline/migrate.ts'
import * as planApi from './plans/api.ts'
import * as plans from './plans/write.ts'
import type {
  BackupFile, CommonOptions, ConfigKey, ConfigOverrides, GenerateResult, HistoryRecord, LoadConfigOptions, MigrateOptions,
  MigrateResult, Mode, ResolvedConfig, RestoreOptions, RestoreResult, StatusReport, WritePlanOptions, WritePlanResult,
} from './types.ts'

export * from './model.ts'
export { MigrateError, ERROR_CODES } from './core/errors.ts'
export { JSON_OUTPUT_VERSION } from './json-types.ts'
export type * from './json-types.ts'
export type { ErrorCode, Location } from './core/errors.ts'
export type * from './types.ts'

/**
 * The pipeline: config → models → schema → fast path → lock → plan → guard → backup → apply →
 * verify → record, every database change inside one transaction of the database (SQLite or PostgreSQL).
 */
export const migrate: (options?: MigrateOptions) => Promise<MigrateResult> = pipeline.migrate
/** Phase one: what an apply would do now (a check: nothing is changed, no lock is held afterwards). */
export const plan: (options?: Omit<MigrateOptions, 'command'>) => Promise<MigrateResult> = pipeline.plan
/** Phase two: apply exactly the plan `plan()` returned; refuses, changing nothing, when the database or the models moved since. */
export const apply: (planned: MigrateResult, options?: Omit<MigrateOptions, 'command'>) => Promise<MigrateResult> = pipeline.apply
/** `npx migrate-plugin plan`: write the pending change as a SQL file to review and edit; changes nothing in the database. */
export const writePlan: (options?: WritePlanOptions) => Promise<WritePlanResult> = plans.writePlan
/** `npx migrate-plugin apply --plan <file>`: run a reviewed plan file as written, in one transaction, after a backup; refuses when the database moved since it was planned. */
export const applyPlanFile: (file: string, options?: Omit<MigrateOptions, 'command'>) => Promise<MigrateResult> = (file, options) => planApi.applyPlanFile(file, options)
/** What `migrate-plugin status` prints: the models, the tables and their rows, what is pending. */
export const status: (options: CommonOptions) => Promise<StatusReport> = inspect.status
/** The history table, newest first. */
export const history: (options: CommonOptions & { limit?: number }) => Promise<{ config: ResolvedConfig, entries: HistoryRecord[] }> = inspect.history
/** This database's backups, newest first. */
export const backups: (options: CommonOptions) => { config: ResolvedConfig, backups: BackupFile[] } = inspect.backups
/** Put a backup back (the newest unless one is named), after a safety copy of the database it replaces. */
export const restore: (options: RestoreOptions) => Promise<RestoreResult> = inspect.restore
/** Write the generated Prisma schema without touching the database. */
export const generate: (options: CommonOptions) => Promise<GenerateResult> = inspect.generate
/** migration.conf, the environment and the overrides, resolved. */
export const loadConfig: (options?: LoadConfigOptions) => ResolvedConfig = config.loadConfig
/** Every key migration.conf accepts. */
export const CONFIG_KEYS: readonly ConfigKey[] = config.CONFIG_KEYS
export const DEFAULTS: Readonly<Required<ConfigOverrides>> = config.DEFAULTS
export const MODES: readonly Mode[] = config.MODES
