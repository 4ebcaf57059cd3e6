/**
 * The types the package's entries show their users, written out here rather than re-exported from
 * core/: a core module's declaration file carries everything in that module (functions taking a
 * better-sqlite3 handle, NodeJS.ProcessEnv, bundler types through unplugin), and a user project with
 * `skipLibCheck: false` and no @types/node checks all of it. This file imports nothing, so the
 * shipped types compile on their own. index.ts and the entries assign the real functions to these
 * types, so `tsc` fails when core/ and this file stop agreeing.
 */

/** Environment variables, as `process.env` holds them. */
export type Environment = Record<string, string | undefined>

/** What to do about pending changes: apply them, fail on them, report them, or skip the run. */
export type Mode = 'apply' | 'check' | 'warn' | 'off'

/** apply (default), preview (change nothing, show everything), check (report pending changes). */
export type Command = 'apply' | 'preview' | 'check'

export type Outcome = 'in-sync' | 'applied' | 'pending' | 'previewed'

export interface ResolvedConfig {
  /** The config file in use, or undefined when running on defaults. */
  configFile?: string
  /** Directory that relative paths are resolved against: the config file's, else the project root. */
  root: string
  /** The database URL with every secret masked: safe to print, never to connect with. */
  databaseUrl: string
  /** Which database the URL names: a SQLite file, a PostgreSQL server, or PGlite (embedded PostgreSQL in a folder). */
  databaseKind: 'sqlite' | 'postgres' | 'pglite'
  /** SQLite: the database file. PGlite: its folder. PostgreSQL: the URL with its password masked (not a path). */
  databasePath: string
  /** The URL asks for read-only access (`mode=ro`, `immutable=1`): nothing may write the database. */
  databaseReadOnly?: boolean
  /** Where the database URL came from: the config file, DATABASE_URL, an option, or the default. */
  databaseUrlSource: 'config' | 'env' | 'option' | 'default'
  backupEnabled: boolean
  backupRetentionDays: number
  backupDirectory: string
  /** Where 0.1 put backups (next to the database), still read when backup_directory is not set. */
  legacyBackupDirectory?: string
  /** A dev server keeps the first backup of its session and the newest this-many it took (0: all). */
  backupKeepDev: number
  modelDirectory: string
  autoVerify: boolean
  schemaOutput: string
  clientOutput: string
  historyTable: string
  dev: Mode
  build: Mode
  dropUnmodelledTables: boolean
  generateClient: boolean
  requireConfirmation: boolean
  maxTablesPerRun: number
  allowDataLoss: boolean
  lockTimeout: number
  /** Seconds a model load may take before the run fails (a top-level await that never settles, an endless loop). */
  loadTimeout: number
  /** Where reviewed plans (`plan`) are written and read. */
  plansDirectory: string
  /** Refuse a change no reviewed plan covers (apply and builds run plan files only). */
  requirePlans: boolean
}

/** Settings a caller (plugin options, CLI flags) may set; they win over migration.conf. */
export type ConfigOverrides = Partial<Omit<ResolvedConfig, 'configFile' | 'root' | 'databaseKind' | 'databasePath' | 'databaseUrlSource' | 'databaseReadOnly' | 'legacyBackupDirectory'>>

/** One key of migration.conf. */
export interface ConfigKey {
  section: 'database' | 'migration' | 'safety'
  key: string
  option: keyof ConfigOverrides
  kind: 'boolean' | 'integer' | 'path' | 'string' | 'mode' | 'url' | 'identifier'
  min?: number
  doc: string
}

export interface LoadConfigOptions {
  /** Project root: where migration.conf is looked for, and what relative paths are against without one. */
  root?: string
  /** An explicit config file (--config): it must exist. */
  configFile?: string
  overrides?: ConfigOverrides
  env?: Environment
}

/** The build plugin's options: the config keys in camelCase, which win over migration.conf. */
export interface PluginOptions extends ConfigOverrides {
  /** migration.conf to use (default: the one in the project root, if any). */
  config?: string
  /** Project root (default: Vite's root, webpack's context, esbuild's absWorkingDir, else cwd). */
  root?: string
  /**
   * esbuild has no dev/build signal of its own: say `watch: true` when you run `context().watch()`.
   * Other bundlers are asked directly.
   */
  watch?: boolean
  /** Print nothing when the database is already in sync (default true). */
  quiet?: boolean
  /**
   * The page at /__migrate/ in Vite's dev server (the schema as a diagram, the pending change, the
   * history, the backups): on by default in the dev server, never in a build or `vite preview`.
   * `false` switches it off; `{ path: '/db' }` moves it.
   */
  devPage?: boolean | { path?: string }
}

/** One readable step of a plan ("add column users.phone"), with the model file that owns its table. */
export interface PlanStep {
  kind: 'create table' | 'drop table' | 'add column' | 'alter table' | 'redefine table' | 'create index' | 'drop index' | 'rename table' | 'rename column' | 'enum values' | 'create enum' | 'alter enum' | 'drop enum' | 'plan file'
  table: string
  description: string
  /** The model file that owns the table, when a model does. */
  file?: string
  /** The line of that file where the table is defined (its `table(` call, or a .prisma fragment's `model` block). */
  line?: number
  sql: string[]
}

export interface Plan {
  steps: PlanStep[]
  sql: string
  /** Tables the plan changes. */
  tables: string[]
}

export type HistoryStatus = 'success' | 'failed' | 'rolled_back' | 'noop' | 'restored' | 'interrupted'

/** A row of the history table inside the database. */
export interface HistoryRecord {
  id?: number
  migrationId: string
  startedAt: string
  finishedAt: string
  status: HistoryStatus
  description: string
  steps: { description: string, table?: string, file?: string }[]
  modelFiles: { file: string, hash: string }[]
  schemaHash: string
  /** Fingerprint of the live schema after the run: with schemaHash, what the fast path compares. */
  dbFingerprint: string | null
  sql: string
  warnings: string[]
  error: string | null
  failedStep: string | null
  backupPath: string | null
  durationMs: number
  trigger: string
  toolVersion: string
}

export interface BackupFile {
  path: string
  name: string
  createdAt: Date
  size: number
  /** False for a 0.1.0 backup in a shared folder: it may belong to another database with this file name. */
  verified: boolean
}

/** An apply that died before finishing (killed, power cut), as found by the next run. */
export interface InterruptedRun {
  migrationId: string
  startedAt: string
  trigger: string
  pid: number
  step: string
  backupPath?: string
}

export interface MigrateOptions {
  /** Project root (where migration.conf is looked for). Default: the working directory. */
  root?: string
  /** An explicit config file. */
  config?: string
  /** Settings that win over migration.conf (plugin options, CLI flags). */
  overrides?: ConfigOverrides
  /** apply (default), preview (change nothing, show everything), check (report pending changes). */
  command?: Command
  /** What started the run, recorded in history: cli, vite-dev, webpack-build, … */
  trigger?: string
  /** false skips the backup (--no-backup / --force). */
  backup?: boolean
  /** false skips the verifying diff (--no-verify). */
  verify?: boolean
  /** Pre-answer the confirmation that require_confirmation asks for. */
  yes?: boolean
  /** Ask the user to confirm the plan. Without it, require_confirmation refuses. */
  confirm?: (plan: Plan) => Promise<boolean>
  /** Told when a step that may take a while begins (the CLI's progress line). It must not throw: it runs inside the transaction. */
  onStep?: (step: RunStep) => void
  /** Default: process.env. */
  env?: Environment
}

/** The steps of a run, in order, as onStep names them. */
export type RunStep = 'models' | 'lock' | 'plan' | 'backup' | 'apply' | 'verify' | 'record'

export interface MigrateResult {
  outcome: Outcome
  /** True when the run stopped at the fast path: the engine was not loaded. */
  fastPath: boolean
  config: ResolvedConfig
  schemaPath: string
  schemaHash: string
  plan?: Plan
  warnings: string[]
  unexecutable: string[]
  /** A preview's push that the engine could not run (e.g. a unique index over duplicates). */
  previewError?: string
  /**
   * `check` only: why it could not find out what an apply would lose (its private copy of the
   * database could not be made, e.g. no room in the temporary folder). `warnings` then holds only
   * this tool's own findings, not the engine's; `preview` shows them all.
   */
  lossCheckError?: string
  backupPath?: string
  /** A previous apply that died before finishing, found and recorded by this run. */
  interruptedRun?: InterruptedRun
  deletedBackups: string[]
  /** Problems after COMMIT (retention, client generation): the apply stands, these are warnings. */
  postCommitWarnings?: string[]
  migrationId?: string
  /** `apply --plan`, and an apply that ran pending plan files first: each plan run, in order. */
  plans?: AppliedPlan[]
  unmodelledTables: string[]
  durationMs: number
}

/** A reviewed plan file that an apply ran (see `npx migrate-plugin plan`). */
export interface AppliedPlan {
  /** The file's path. */
  file: string
  /** SHA-256 of the file as it was applied (hex). */
  sha256: string
  /** Its history row. */
  migrationId: string
  backupPath?: string
}

/** What `plan` (writePlan) takes. */
export interface WritePlanOptions extends CommonOptions {
  /** Words for the file name (sanitized to letters, digits and underscores); default: the first step. */
  name?: string
  /** The time the file name starts with (default: now, UTC). */
  now?: Date
  trigger?: string
}

/** What `plan` (writePlan) did. */
export interface WritePlanResult {
  /** 'written': `path` holds the plan; 'in-sync': nothing to plan, no file. */
  outcome: 'written' | 'in-sync'
  path?: string
  /** What the plan does, and what the engine said about it (a check: nothing was changed). */
  result: MigrateResult
  /** The database's schema fingerprint the plan starts from (written into the file). */
  fingerprint?: string
  /** Plan files not yet applied to this database (the new plan starts from the database without them). */
  pendingPlans: string[]
}

/** What status, history, backups and generate take. */
export interface CommonOptions {
  root?: string
  config?: string
  overrides?: ConfigOverrides
  /** Default: process.env. */
  env?: Environment
}

export interface StatusReport {
  config: ResolvedConfig
  databaseExists: boolean
  models: { file: string, tables: string[] }[]
  tables: { name: string, rows: number, file?: string }[]
  unmodelledTables: string[]
  pending: MigrateResult
  /** Plan files (`plan`) in plans_directory that this database has not run yet: `apply` runs them first. */
  pendingPlans: string[]
  lastMigration?: HistoryRecord
}

export interface RestoreOptions extends CommonOptions {
  /** A backup file name or path; default: the newest. */
  backup?: string
  yes?: boolean
  /** Asked with the backup and the database it would replace. */
  confirm?: (backup: BackupFile, databasePath: string) => Promise<boolean>
  trigger?: string
}

/** A run recorded in the live database that the restore takes away (its row leaves with the file). */
export interface UndoneRun {
  migrationId: string
  status: string
  description: string
}

export interface RestoreResult {
  config: ResolvedConfig
  restored: BackupFile
  /** The database as it was before the restore, so the restore itself can be undone. */
  safetyBackup?: string
  /** How the safety copy was made: through SQLite, or byte for byte (the database was not readable). */
  safetyCopy?: 'snapshot' | 'bytes'
  /** The later runs the restore undid; undefined when the replaced file's history could not be read. */
  undone?: UndoneRun[]
  /** Problems after the database was restored and verified (it stays restored). */
  warnings: string[]
}

export interface GenerateResult {
  config: ResolvedConfig
  path: string
  changed: boolean
  tables: number
}

/*
 * What each bundler entry returns, by shape: enough for the bundler's own config types to accept it
 * (`plugins: [migrate()]`), without naming those types, which would need the bundler (and
 * @types/node) installed. Methods take `unknown` so that any bundler's compiler or build object fits.
 */

/** A Vite, Rollup or Rolldown plugin. */
export type RollupLikePlugin = { name: string }

/**
 * An esbuild plugin. `build` is `any`, not `unknown`: esbuild.build() and context() infer the type
 * of their options, so a plugin written inline next to this one takes its `setup` parameter's type
 * from here, and `unknown` would make the user's own `build.onEnd(...)` an error.
 */
export type EsbuildPlugin = { name: string, setup(build: any): void | Promise<void> }

/** A webpack or Rspack plugin. */
export type WebpackLikePlugin = { apply(compiler: unknown): void }

/** A plugin options object → one bundler's plugin. */
export type PluginFactory<P> = (options?: PluginOptions) => P

/** `migrate-plugin/unplugin`: one factory per bundler unplugin supports, and the raw hooks. */
export interface MigrateUnplugin {
  vite: PluginFactory<RollupLikePlugin>
  rollup: PluginFactory<RollupLikePlugin>
  rolldown: PluginFactory<RollupLikePlugin>
  webpack: PluginFactory<WebpackLikePlugin>
  rspack: PluginFactory<WebpackLikePlugin>
  esbuild: PluginFactory<EsbuildPlugin>
  rsbuild: PluginFactory<{ name: string }>
  farm: PluginFactory<{ name: string }>
  unloader: PluginFactory<{ name: string }>
  bun: PluginFactory<{ name: string }>
  raw(options: PluginOptions | undefined, meta: { framework: string }): { name: string }
}
