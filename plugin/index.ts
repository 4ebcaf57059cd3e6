/** migrate-plugin: the pipeline, the commands behind the CLI, and the model DSL. */
export * from './model.ts'
export { migrate, prepare, writeSchema } from './core/migrate.ts'
export type { MigrateOptions, MigrateResult, Outcome, Command, Prepared, RunStep } from './core/migrate.ts'
export { status, history, backups, restore, generate } from './core/inspect.ts'
export type { StatusReport, RestoreOptions, RestoreResult } from './core/inspect.ts'
export { loadConfig, CONFIG_KEYS, DEFAULTS, MODES } from './core/config.ts'
export type { ResolvedConfig, ConfigOverrides, Mode } from './core/config.ts'
export { MigrateError, ERROR_CODES } from './core/errors.ts'
export type { ErrorCode, Location } from './core/errors.ts'
export { JSON_OUTPUT_VERSION } from './cli/json.ts'
export type {
  JsonOutput, JsonError, JsonApply, JsonPreview, JsonCheck, JsonStatus, JsonHistory, JsonBackups, JsonRestore,
  JsonGenerate, JsonInit, JsonVersion, JsonRunResult, JsonBackupFile,
} from './cli/json.ts'
export type { Plan, PlanStep } from './core/plan.ts'
export type { HistoryRecord, HistoryStatus } from './core/history.ts'
export type { BackupFile } from './core/backup.ts'
