import type { SchemaPushOutput } from '@prisma/schema-engine-wasm'
import type { ResolvedConfig } from '../core/config.ts'
import type { DiscoveredModels } from '../model/discover.ts'
import type { ModelOwner } from '../schema/ownership.ts'
import type { HistoryRecord } from '../pipeline/history-record.ts'
import type { LossReport } from '../pipeline/loss-report.ts'
import type { LiveSchema, Plan, PlanStep } from '../pipeline/plan.ts'
import type { Rename, RenameHint } from '../pipeline/renames.ts'
import type { BackupFile, InterruptedRun, RestoreResult } from '../types.ts'

/**
 * What the pipeline needs from a database, and nothing else: the pipeline (plugin/pipeline/) never
 * names SQLite or PostgreSQL; each folder under plugin/targets/ answers these calls for one kind of
 * database. Chosen once, from the URL, by targetFor() in ./index.ts.
 */
export type TargetKind = 'sqlite' | 'postgres' | 'pglite'

/** 'missing': nothing there yet (never created by a probe); 'empty': exists without tables. */
export type DatabaseState = 'missing' | 'empty' | 'ok'

export interface TargetLock {
  release(): Promise<void>
}

export interface SessionOptions {
  /** 'read' takes no write lock (check); 'write' runs everything in one transaction it commits or rolls back. */
  mode: 'read' | 'write'
  historyTable: string
  /** The database exists and has a schema to read (probe() said 'ok'). */
  existing: boolean
  /** Plan against an empty database (a preview or check of a database that does not exist yet). */
  scratch: boolean
  /** How long to wait for other connections' locks. */
  timeoutMs: number
  dropUnmodelledTables: boolean
  renameHints: RenameHint[]
  /** Tables the models own, and their model files (the rest is left alone unless drop_unmodelled_tables is on). */
  owners: ModelOwner[]
  models: DiscoveredModels
}

/** What a database knows about a plan that the engine's diff does not say. */
export interface Findings {
  /** Steps the engine cannot see (SQLite: AUTOINCREMENT, enum values in rows, indexes a rebuild drops). */
  extraSteps: PlanStep[]
  /** Data the plan would lose or rewrite without an engine warning, in words: refused unless accepted. */
  dataLoss: string[]
  /** The same, less what the engine's own warnings (from a push) already say. */
  unwarned(engineWarnings: string[]): string[]
  /** A hint for a refusal of these findings (how to fix the data or the model). */
  fixHint?: string
}

/**
 * What must hold around the engine's push: taken before it, finished and checked after it, in the
 * same transaction. SQLite rebuilds tables to change them, and a rebuild loses what the engine does
 * not copy (rowids, triggers, views, AUTOINCREMENT) and keeps values that no longer fit; PostgreSQL
 * changes tables in place, and only the row counts are checked.
 */
export interface PushGuard {
  /** Right after the push: put back what a rebuild took away. */
  finish(): Promise<void>
  /** After finish(): every row of the changed tables is still there, unless data loss is allowed (MigrateError 'GUARD_DATA_LOSS'). */
  checkRows(options: { allowDataLoss: boolean }): Promise<void>
  /** After the engine's verifying diff: no broken foreign key, no value that no longer fits (MigrateError 'VERIFY'). */
  verify(): Promise<void>
  /** Only the checks a preview reports (values that would no longer fit their type). */
  previewProblems(): Promise<string | undefined>
}

export interface TargetSession {
  /** Tables the models do not own (and that are not the history table). */
  readonly unmodelled: string[]
  /** The model's renamedFrom hints that this database still needs, as steps. */
  readonly renames: Rename[]
  /** Run SQL on the session's connection, inside its transaction. */
  exec(sql: string): Promise<void>
  /**
   * Take the backup (another connection, another process) while this session holds no lock that
   * would make it wait for us: PostgreSQL's pg_dump waits for the table locks of a rename this
   * transaction ran, and we wait for pg_dump. Absent: the backup is simply taken.
   */
  aroundBackup?<T>(backup: () => Promise<T>): Promise<T>
  /** Engine diff from the live database to `schema`: the SQL script, empty when in sync. */
  diff(schema: string): Promise<string>
  /** Engine push, inside the session's transaction. */
  push(schema: string, force: boolean): Promise<SchemaPushOutput>
  /**
   * The planned script (what diff() returned) run as it is, when the target can tell from the script
   * alone that the engine's push would neither warn nor refuse (it only adds); undefined otherwise,
   * and nothing was run. Saves the push's own diff of the whole database.
   */
  pushAdditive?(script: string): Promise<SchemaPushOutput | undefined>
  /** The live tables and columns, for describing the plan's steps. */
  liveSchema(): Promise<LiveSchema>
  findings(script: string, plan: Plan): Promise<Findings>
  /** The data at stake, read in this transaction; with `digest`, a hash of every value at stake. */
  lossReport(plan: Plan, findings: Findings, engineWarnings: string[], digest: boolean): Promise<LossReport>
  guardPush(plan: Plan): Promise<PushGuard>
  /**
   * A pending plan's verdict for `check`, which must change nothing: the engine says what it would
   * lose only while pushing, so a push that is never committed is needed — on a private copy for
   * SQLite (check works on read-only files), in this session's own transaction for PostgreSQL.
   * `preview` runs a preview of the same models against another config's database. Undefined when
   * no step can touch rows.
   */
  verdict(plan: Plan, schema: string, config: ResolvedConfig, preview: (config: ResolvedConfig) => Promise<Verdict>): Promise<Verdict | undefined>
  /** The newest run after which the database matched the models. */
  lastInSync(): Promise<Pick<HistoryRecord, 'schemaHash' | 'dbFingerprint'> | undefined>
  fingerprint(): Promise<string>
  /**
   * The live schema one object at a time (a table with its indexes and triggers, a view, an enum),
   * each with a hash of its definition, read from what fingerprint() reads: a plan file keeps them,
   * so that `apply --plan` can name what moved since it was written.
   */
  schemaObjects(): Promise<SchemaObject[]>
  writeHistory(record: HistoryRecord): Promise<void>
  commit(): Promise<void>
  rollback(): Promise<void>
  /** Ends the session; anything not committed is rolled back. */
  close(): Promise<void>
}

/** One object of the live schema: `table users`, `view active_users`, `enum Role`; and a hash of its definition. */
export interface SchemaObject {
  name: string
  hash: string
}

/** The engine's verdict on a pending plan, for `check` (see each target's verdict()). */
export interface Verdict {
  warnings: string[]
  unexecutable: string[]
  previewError?: string
  /** The verdict could not be had (no copy could be made): unknown, not "nothing lost". */
  lossCheckError?: string
}

export interface RestoreRequest {
  /** A backup file name or path; default: the newest. */
  backup?: string
  yes?: boolean
  /** Asked with the backup and the database it would replace. */
  confirm?: (backup: BackupFile, database: string) => Promise<boolean>
  trigger?: string
}

export interface Target {
  readonly kind: TargetKind
  /** The datasource provider of the generated schema, and the engine connector it picks. */
  readonly provider: 'sqlite' | 'postgresql'
  /** The database as messages name it: a path, or a URL with its password masked. */
  readonly label: string
  /** Never creates anything; refuses what is not a database of this kind. */
  probe(): Promise<DatabaseState>
  /**
   * When the schema hash and the live schema's fingerprint equal those of the last good run: the
   * tables the models do not own. Undefined when it cannot tell (then the engine decides). Cheap.
   */
  fastPath(summary: { hash: string, tables: string[] }, historyTable: string): Promise<{ unmodelled: string[] } | undefined>
  /** One migrator per database; waits up to the timeout, then a MigrateError('LOCKED'). */
  lock(timeoutSeconds: number): Promise<TargetLock>
  /** With the lock held: a run that died half-way is recorded, and returned. */
  recoverInterrupted(historyTable: string): Promise<InterruptedRun | undefined>
  /** The step an apply has reached, kept where a later run finds it if this process dies; undefined clears it. */
  markProgress(marker: InterruptedRun | undefined): void
  /** Wait for other connections, then refuse a damaged database before anything else reads it. */
  checkHealth(access: 'read' | 'write', timeoutMs: number): Promise<void>
  /** Refuse an apply on a database this process cannot write. */
  assertWritable(): Promise<void>
  /** Create a database that does not exist (only an apply does); undefined when that is not ours to do. */
  canCreate(): { refusal?: string, hint?: string }
  open(options: SessionOptions): Promise<TargetSession>
  /** Read-only, for `history`: newest first; empty when there is no database or no history yet. */
  readHistory(historyTable: string, limit: number): Promise<HistoryRecord[]>
  /** Read-only, for `status`: the tables but the history, with their row counts; empty when there is no database. */
  tables(historyTable: string): Promise<{ name: string, rows: number }[]>
  /** `restore`: put a backup back (the newest unless one is named), after a safety copy, and record it. */
  restore(config: ResolvedConfig, request: RestoreRequest): Promise<RestoreResult>
  /** A backup before a changing apply: its path. */
  backup(config: ResolvedConfig): Promise<string>
  /** After COMMIT: backups past their retention go; failures are collected, never thrown. */
  retention(config: ResolvedConfig, failures: string[]): string[]
  /**
   * A dev server's bound (backup_keep_dev): of the backups one dev-server process took (`session`,
   * oldest first), keep the first and the newest `keep`, delete the rest — only those provably of
   * this database, never its newest backup. Returns the deleted paths; failures collected.
   */
  boundSessionBackups(config: ResolvedConfig, session: readonly string[], failures: string[]): string[]
  /** The rollback itself failed: bring the backup back (checked), or throw saying it did not. */
  restoreAfterFailure(backupPath: string, timeoutMs: number): Promise<void>
  /** A failed run's history row, in its own small transaction after the rollback; best effort. */
  recordFailure(historyTable: string, record: HistoryRecord): Promise<void>
  /** An apply that created the database and then failed removes what it created. */
  removeCreated(): Promise<void>
  /** Map an error from the driver to one a user can act on (a lock, a full disk, a corrupt file). */
  describeError(error: unknown): Error
}
