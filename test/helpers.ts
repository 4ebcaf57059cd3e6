import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { expect } from 'vitest'
import { MigrateError } from '../plugin/core/errors.ts'
import { migrate, type MigrateOptions, type MigrateResult } from '../plugin/pipeline/migrate.ts'

export const REPO = fileURLToPath(new URL('..', import.meta.url))
export const BIN = join(REPO, 'bin', 'migrate-plugin.mjs')

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Every Project of the running test file that still has its folder; test/setup.ts removes them after the file. */
const projects = new Set<Project>()

export function removeProjects(): void {
  for (const p of projects) p.remove()
}

/** A throwaway project on disk: model files, an optional migration.conf, a real SQLite file. */
export class Project {
  readonly root: string
  /** Where the constructor put it: some tests move `root` elsewhere afterwards, and both must go. */
  readonly #created: string
  constructor(files: Record<string, string> = {}) {
    this.root = this.#created = mkdtempSync(join(tmpdir(), 'mp-test-'))
    projects.add(this)
    for (const [path, content] of Object.entries(files)) this.write(path, content)
  }

  /** Delete the project's folder now rather than after the test file (tests that make many large ones). */
  remove(): void {
    for (const dir of new Set([this.root, this.#created])) rmSync(dir, { recursive: true, force: true })
    projects.delete(this)
  }

  get dbPath(): string {
    return join(this.root, 'dev.db')
  }

  write(path: string, content: string): this {
    const full = join(this.root, path)
    mkdirSync(dirname(full), { recursive: true })
    writeFileSync(full, content)
    return this
  }

  read(path: string): string {
    return readFileSync(join(this.root, path), 'utf8')
  }

  migrate(options: MigrateOptions = {}): Promise<MigrateResult> {
    return migrate({ root: this.root, env: {}, ...options })
  }

  cli(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
    const result = spawnSync(process.execPath, [BIN, ...args], {
      cwd: this.root,
      encoding: 'utf8',
      env: { ...cleanEnv(), ...env },
      timeout: 60_000,
    })
    return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr }
  }

  cliAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: this.root, env: { ...cleanEnv(), ...env } })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
    })
  }

  db(readonly = false): Database.Database {
    return new Database(this.dbPath, { readonly })
  }

  /** Run SQL against the project's database and close it again. */
  sql(sql: string): void {
    const db = this.db()
    try {
      db.exec(sql)
    } finally {
      db.close()
    }
  }

  all<T = Record<string, unknown>>(sql: string, ...params: unknown[]): T[] {
    const db = this.db(true)
    try {
      return db.prepare(sql).all(...params) as T[]
    } finally {
      db.close()
    }
  }

  columns(table: string): string[] {
    return this.all<{ name: string }>(`SELECT name FROM pragma_table_info(?)`, table).map((c) => c.name)
  }

  tables(): string[] {
    return this.all<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).map((t) => t.name)
  }

  hash(path = this.dbPath): string {
    return createHash('sha256').update(readFileSync(path)).digest('hex')
  }
}

/** The test runner's own environment minus what would change the CLI's behaviour. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }
  delete env.DATABASE_URL
  delete env.FORCE_COLOR
  // Run inside GitHub Actions, the CLI would annotate this repository's own job with test projects' changes.
  for (const name of ['GITHUB_ACTIONS', 'GITHUB_STEP_SUMMARY', 'GITHUB_WORKSPACE']) delete env[name]
  return env
}

export const USERS_MODEL = `import { table, int, text, boolean, datetime } from 'migrate-plugin/model'

export const users = table('users', {
  id: int().primaryKey({ autoIncrement: true }),
  email: text().notNull().unique(),
  name: text(),
  isActive: boolean().notNull().default(true),
  createdAt: datetime().notNull().defaultNow(),
})
`

export const POSTS_MODEL = `import { table, int, text, index } from 'migrate-plugin/model'
import { users } from './users.ts'

export const posts = table('posts', {
  id: int().primaryKey({ autoIncrement: true }),
  title: text().notNull(),
  authorId: int().notNull().references(() => users.id, { onDelete: 'cascade' }),
}, (t) => [index(t.authorId)])
`

/** Whether tests can run the CLI as `nobody` (uid 65534): only as root, and where that user can reach this checkout. */
export function nobodyCanRun(): boolean {
  if (process.getuid?.() !== 0) return false
  const can = (flag: string, path: string) => spawnSync('test', [flag, path], { uid: 65534, gid: 65534 }).status === 0
  return can('-r', BIN) && can('-x', tmpdir())
}

/** Polls until `fn` returns something truthy (a dev server's log line, a column), failing after the timeout. */
export async function until<T>(fn: () => T | undefined | false, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = fn()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

/** The error a run fails with, checking that it is ours and that it left the database (or its absence) as it was. */
export async function modelError(p: Project): Promise<MigrateError> {
  const before = existsSync(p.dbPath) ? p.hash() : undefined
  const error = await p.migrate().then(() => undefined, (e: unknown) => e)
  expect(error).toBeInstanceOf(MigrateError)
  // A model error stops the run before anything touches the database (or creates one).
  expect(existsSync(p.dbPath) ? p.hash() : undefined).toBe(before)
  return error as MigrateError
}
