/**
 * `npm run bench`: migrate-plugin against drizzle-kit and raw better-sqlite3 at 10, 100 and 1000
 * models, then against drizzle-kit and raw `pg` at 100 models on a PostgreSQL server of its own.
 * Every figure is the median of several runs, and the tools are run alternately so that noise on a
 * shared machine hits both sides of a ratio alike. Writes bench/results.json and bench/chart.svg;
 * prints a table. BENCH_SIZES=10,100 picks the SQLite sizes (empty: none); BENCH_POSTGRES=0 leaves
 * PostgreSQL out.
 */
import { spawnSync } from 'node:child_process'
import { cpus, totalmem } from 'node:os'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import pg from 'pg'
import { writeFixture } from './fixture.ts'
import { renderChart } from './chart.ts'
import { findPostgres, startPostgres, type BenchServer } from './postgres.ts'
import { backupDatabase } from '../plugin/targets/sqlite/backup.ts'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const SIZES = (process.env.BENCH_SIZES ?? '10,100,1000').split(',').filter((s) => s.trim() !== '').map(Number)
const reps = (n: number) => (n >= 1000 ? 3 : 5)

interface Sample { ms: number, rssMB: number, stdout?: string }
interface Figure { scenario: string, size: number, tool: string, medianMs: number, rssMB: number, runs: number }
const figures: Figure[] = []

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** One whole process, timed, with its peak RSS from GNU time. */
function run(cwd: string, args: string[], expectCode = 0): Sample {
  const t = performance.now()
  const r = spawnSync('/usr/bin/time', ['-f', '__RSS__%M', ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: '', NO_COLOR: '1' }, maxBuffer: 64 * 1024 * 1024 })
  const ms = performance.now() - t
  if (r.status !== expectCode) throw new Error(`${args.join(' ')} exited ${r.status}:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`)
  const rss = Number(/__RSS__(\d+)/.exec(r.stderr)?.[1] ?? 0) / 1024
  return { ms, rssMB: rss, stdout: r.stdout }
}

function record(scenario: string, size: number, tool: string, samples: Sample[]): void {
  figures.push({ scenario, size, tool, medianMs: median(samples.map((s) => s.ms)), rssMB: Math.max(...samples.map((s) => s.rssMB)), runs: samples.length })
}

const ours = (...args: string[]) => ['node', join(REPO, 'bench/cli-dist.mjs'), ...args]
const drizzle = (...args: string[]) => ['node', join(REPO, 'node_modules/drizzle-kit/bin.cjs'), ...args]

/**
 * An installed project has node_modules: the CLI keeps its record of loaded inputs in
 * node_modules/.cache, and drizzle-kit loads its schema with the project's require, so drizzle-orm
 * must be there (without it drizzle-kit prints MODULE_NOT_FOUND and exits 0, having done nothing).
 */
function installModules(root: string): void {
  mkdirSync(join(root, 'node_modules'))
  symlinkSync(join(REPO, 'node_modules', 'drizzle-orm'), join(root, 'node_modules', 'drizzle-orm'), 'dir')
}

function freshProject(n: number, extra?: number): string {
  const root = mkdtempSync(join(tmpdir(), `bench-${n}-`))
  writeFixture(root, n, extra)
  installModules(root)
  return root
}

/**
 * drizzle-kit exits 0 even when it failed, so an exit code proves nothing: after every timed run the
 * database itself is asked whether the work was done, or a tool that did nothing would be timed as a
 * fast one. The model tables are t0, t1, …; `column` must be on `table`.
 */
function expectSqlite(path: string, what: string, n: number, table = 't0', column = 'id'): void {
  const db = new Database(path, { readonly: true, fileMustExist: true })
  try {
    const tables = (db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name GLOB 't[0-9]*'`).get() as { n: number }).n
    const hasColumn = db.prepare('SELECT 1 FROM pragma_table_info(?) WHERE name = ?').get(table, column) !== undefined
    if (tables !== n || !hasColumn) throw new Error(`${what} left ${path} with ${tables} of ${n} tables${hasColumn ? '' : `, and no column ${table}.${column}`}: the run did not do its work, so its time means nothing`)
  } finally {
    db.close()
  }
}

/** drizzle-kit's own words for a push that found nothing to do (it exits 0 on failures too). */
function expectNoChanges(push: Sample): Sample {
  if (!push.stdout?.includes('No changes detected')) throw new Error(`drizzle-kit push on an in-sync database did not say "No changes detected":\n${push.stdout?.slice(-2000)}`)
  return push
}

function resetDbs(root: string): void {
  for (const name of ['app.db', 'drizzle.db']) for (const s of ['', '-journal', '-wal', '-shm', '-migrate.lock']) rmSync(join(root, `${name}${s}`), { force: true })
}

function benchSize(n: number): void {
  const k = reps(n)
  const root = freshProject(n)
  process.stdout.write(`\n${n} models: `)

  // 2. create from empty: ours vs drizzle-kit push --force vs the same DDL in one transaction.
  const create: Record<string, Sample[]> = { 'migrate-plugin apply': [], 'drizzle-kit push --force': [], 'raw better-sqlite3 (same DDL)': [] }
  let ddl = ''
  for (let i = 0; i < k; i++) {
    resetDbs(root)
    create['migrate-plugin apply']!.push(run(root, ours('apply', '--no-backup')))
    expectSqlite(join(root, 'app.db'), 'migrate-plugin apply', n)
    create['drizzle-kit push --force']!.push(run(root, drizzle('push', '--force', '--config', 'drizzle.config.ts')))
    expectSqlite(join(root, 'drizzle.db'), 'drizzle-kit push --force', n)
    if (!ddl) {
      const db = new Database(join(root, 'app.db'), { readonly: true })
      ddl = (db.prepare('SELECT sql FROM _migration_history ORDER BY id LIMIT 1').get() as { sql: string }).sql
      db.close()
    }
    const raw = join(root, 'raw.db')
    rmSync(raw, { force: true })
    const t = performance.now()
    const db = new Database(raw)
    db.exec('BEGIN')
    db.exec(ddl.split('\n').filter((l) => !/^PRAGMA/i.test(l)).join('\n'))
    db.exec('COMMIT')
    db.close()
    create['raw better-sqlite3 (same DDL)']!.push({ ms: performance.now() - t, rssMB: 0 })
    process.stdout.write('.')
  }
  for (const [tool, samples] of Object.entries(create)) record('create from empty', n, tool, samples)

  // 1. no-op: both databases are in sync now.
  const noop: Record<string, Sample[]> = { 'migrate-plugin check': [], 'migrate-plugin check, no record (fresh clone)': [], 'drizzle-kit push (no changes)': [], 'drizzle-kit check': [] }
  for (let i = 0; i < k; i++) {
    // Without the record of the last load (a fresh clone, a CI job): every model file is loaded.
    rmSync(join(root, 'node_modules', '.cache'), { recursive: true, force: true })
    noop['migrate-plugin check, no record (fresh clone)']!.push(run(root, ours('check')))
    noop['migrate-plugin check']!.push(run(root, ours('check')))
    noop['drizzle-kit push (no changes)']!.push(expectNoChanges(run(root, drizzle('push', '--config', 'drizzle.config.ts'))))
    noop['drizzle-kit check']!.push(run(root, drizzle('check', '--config', 'drizzle.config.ts')))
    process.stdout.write('.')
  }
  for (const [tool, samples] of Object.entries(noop)) record('no-op, whole process', n, tool, samples)
  const hook = run(REPO, ['node', join(REPO, 'bench/inprocess.mjs'), 'hook', root, '20'])
  const hookResult = JSON.parse(hook.stdout!.trim().split("\n").pop()!) as { times: number[], coldMs: number }
  figures.push({ scenario: 'no-op, build-start hook (in process)', size: n, tool: 'migrate-plugin', medianMs: median(hookResult.times), rssMB: hook.rssMB, runs: hookResult.times.length })
  figures.push({ scenario: 'no-op, build-start hook (in process)', size: n, tool: 'migrate-plugin, first build in a process', medianMs: hookResult.coldMs, rssMB: hook.rssMB, runs: 1 })
  process.stdout.write('.')

  // 3. one column added to one table.
  const add: Record<string, Sample[]> = { 'migrate-plugin apply': [], 'drizzle-kit push': [] }
  for (let i = 0; i < k; i++) {
    writeFixture(root, n, Math.floor(n / 2))
    const table = `t${Math.floor(n / 2)}`
    add['migrate-plugin apply']!.push(run(root, ours('apply')))
    expectSqlite(join(root, 'app.db'), 'migrate-plugin apply', n, table, 'extra')
    add['drizzle-kit push']!.push(run(root, drizzle('push', '--force', '--config', 'drizzle.config.ts')))
    expectSqlite(join(root, 'drizzle.db'), 'drizzle-kit push', n, table, 'extra')
    writeFixture(root, n)
    // Back to the base schema without measuring (drop the column again).
    run(root, ours('apply', '--accept-data-loss', '--no-backup'))
    run(root, drizzle('push', '--force', '--config', 'drizzle.config.ts'))
    process.stdout.write('.')
  }
  for (const [tool, samples] of Object.entries(add)) record('add one column', n, tool, samples)
  rmSync(join(root, 'backups'), { recursive: true, force: true })

  // 4. dev loop: Vite dev server, save → column in the DB.
  const dev = run(REPO, ['node', join(REPO, 'bench/inprocess.mjs'), 'devloop', root, String(k)])
  const devResult = JSON.parse(dev.stdout!.trim().split("\n").pop()!) as { times: number[] }
  figures.push({ scenario: 'dev loop: save → column in DB', size: n, tool: 'migrate-plugin + vite dev', medianMs: median(devResult.times), rssMB: dev.rssMB, runs: devResult.times.length })
  process.stdout.write('.')
  rmSync(root, { recursive: true, force: true })
}

async function benchBackup(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-backup-'))
  const path = join(dir, 'big.db')
  const db = new Database(path)
  db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)')
  const insert = db.prepare('INSERT INTO blobs (data) VALUES (?)')
  const chunk = Buffer.alloc(64 * 1024, 7)
  db.transaction(() => { for (let i = 0; i < 1600; i++) insert.run(chunk) })()
  db.close()
  const samples: number[] = []
  for (let i = 0; i < 3; i++) {
    const t = performance.now()
    const target = backupDatabase(path, dir, new Date(2020, 0, 1, 0, 0, i))
    samples.push(performance.now() - t)
    rmSync(target)
  }
  figures.push({ scenario: 'backup of a 100 MB database', size: 0, tool: 'migrate-plugin (VACUUM INTO)', medianMs: median(samples), rssMB: 0, runs: 3 })
  rmSync(dir, { recursive: true, force: true })
}

const PG_MODELS = 100
const PG_REPS = 5
const PG = { ours: 'bench_ours', drizzle: 'bench_drizzle', raw: 'bench_raw' } as const

/** The model tables in `database` (t0, t1, …), and whether `table` has `column`: what each run must have left. */
async function pgShape(server: BenchServer, database: string, table: string, column: string): Promise<{ tables: number, hasColumn: boolean }> {
  return server.withClient(database, async (c) => {
    const tables = await c.query<{ n: string }>(`SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '^t[0-9]+$'`)
    const columns = await c.query('SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = $3', ['public', table, column])
    return { tables: Number(tables.rows[0]?.n), hasColumn: columns.rowCount === 1 }
  })
}

/** expectSqlite's questions, asked of a PostgreSQL database. */
async function expectPg(server: BenchServer, database: string, what: string, n: number, table = 't0', column = 'id'): Promise<void> {
  const shape = await pgShape(server, database, table, column)
  if (shape.tables !== n || !shape.hasColumn) throw new Error(`${what} left ${database} with ${shape.tables} of ${n} tables${shape.hasColumn ? '' : `, and no column ${table}.${column}`}: the run did not do its work, so its time means nothing`)
}

async function benchPostgres(server: BenchServer): Promise<void> {
  const n = PG_MODELS
  const k = PG_REPS
  const scenario = (name: string) => `PostgreSQL: ${name}`
  const urls = { ours: server.url(PG.ours), drizzle: server.url(PG.drizzle) }
  const root = server.tempDir(`project-${n}-`)
  try {
    writeFixture(root, n, undefined, { postgres: urls })
    installModules(root)
    process.stdout.write(`\nPostgreSQL, ${n} models: `)

    // 1. create from empty, each tool in a database of its own, dropped and created again every round.
    const create: Record<string, Sample[]> = { 'migrate-plugin apply': [], 'drizzle-kit push --force': [], 'raw pg (same DDL, one transaction)': [] }
    let ddl = ''
    for (let i = 0; i < k; i++) {
      for (const database of Object.values(PG)) await server.recreate(database)
      create['migrate-plugin apply']!.push(run(root, ours('apply', '--no-backup')))
      await expectPg(server, PG.ours, 'migrate-plugin apply', n)
      create['drizzle-kit push --force']!.push(run(root, drizzle('push', '--force', '--config', 'drizzle.config.ts')))
      await expectPg(server, PG.drizzle, 'drizzle-kit push --force', n)
      ddl ||= await server.withClient(PG.ours, async (c) => (await c.query<{ sql: string }>('SELECT sql FROM "_migration_history" ORDER BY id LIMIT 1')).rows[0]!.sql)
      // The floor: what the server itself needs for these tables, connection included as for the tools.
      const t = performance.now()
      const client = new pg.Client({ connectionString: server.url(PG.raw) })
      await client.connect()
      await client.query('BEGIN')
      await client.query(ddl)
      await client.query('COMMIT')
      await client.end()
      create['raw pg (same DDL, one transaction)']!.push({ ms: performance.now() - t, rssMB: 0 })
      await expectPg(server, PG.raw, 'the same DDL', n)
      process.stdout.write('.')
    }
    for (const [tool, samples] of Object.entries(create)) record(scenario('create from empty'), n, tool, samples)

    // 2. no-op: both databases are in sync now.
    const noop: Record<string, Sample[]> = { 'migrate-plugin check': [], 'migrate-plugin check, no record (fresh clone)': [], 'drizzle-kit push (no changes)': [] }
    for (let i = 0; i < k; i++) {
      rmSync(join(root, 'node_modules', '.cache'), { recursive: true, force: true })
      noop['migrate-plugin check, no record (fresh clone)']!.push(run(root, ours('check')))
      noop['migrate-plugin check']!.push(run(root, ours('check')))
      noop['drizzle-kit push (no changes)']!.push(expectNoChanges(run(root, drizzle('push', '--config', 'drizzle.config.ts'))))
      process.stdout.write('.')
    }
    for (const [tool, samples] of Object.entries(noop)) record(scenario('no-op, whole process'), n, tool, samples)

    // 3. one column added to one table. Each round adds one more (extra, extra1, …) rather than
    // dropping the last one again: the same work measured, at half the server time of a revert.
    const add: Record<string, Sample[]> = { 'migrate-plugin apply': [], 'drizzle-kit push': [] }
    const table = `t${Math.floor(n / 2)}`
    for (let i = 0; i < k; i++) {
      writeFixture(root, n, Math.floor(n / 2), { postgres: urls, extraColumns: i + 1 })
      const column = i ? `extra${i}` : 'extra'
      add['migrate-plugin apply']!.push(run(root, ours('apply')))
      await expectPg(server, PG.ours, 'migrate-plugin apply', n, table, column)
      add['drizzle-kit push']!.push(run(root, drizzle('push', '--force', '--config', 'drizzle.config.ts')))
      await expectPg(server, PG.drizzle, 'drizzle-kit push', n, table, column)
      process.stdout.write('.')
    }
    for (const [tool, samples] of Object.entries(add)) record(scenario('add one column'), n, tool, samples)
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  // Before the SQLite half, not after it: a machine without PostgreSQL is told so at once.
  const postgresBin = process.env.BENCH_POSTGRES === '0' ? undefined : findPostgres()
  if (!existsSync(join(REPO, 'dist/cli.js'))) spawnSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'inherit' })
  const started = Date.now()
  for (const n of SIZES) benchSize(n)
  await benchBackup()
  let postgres: string | undefined
  if (postgresBin) {
    const server = await startPostgres(postgresBin)
    try {
      postgres = await server.withClient('postgres', async (c) => (await c.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version)
      await benchPostgres(server)
    } finally {
      server.stop()
    }
  }
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? '?', memoryGB: Math.round(totalmem() / 2 ** 30), node: process.version, ...(postgres ? { postgres } : {}), date: new Date().toISOString() }
  writeFileSync(join(REPO, 'bench/results.json'), `${JSON.stringify({ machine, figures }, null, 2)}\n`)
  writeFileSync(join(REPO, 'bench/chart.svg'), renderChart(figures))
  console.log(`\n\n${table()}\n\nmachine: ${machine.cpus} × ${machine.cpu}, ${machine.memoryGB} GB, Node ${machine.node}${postgres ? `, PostgreSQL ${postgres}` : ''} · ${(Date.now() - started) / 1000} s`)
  console.log('wrote bench/results.json and bench/chart.svg')
}

export function table(): string {
  const rows = ['| scenario | models | tool | median | peak RSS | vs migrate-plugin |', '|---|---:|---|---:|---:|---:|']
  for (const f of figures) {
    const base = figures.find((g) => g.scenario === f.scenario && g.size === f.size && g.tool.startsWith('migrate-plugin'))
    const ratio = base && base !== f ? `${(f.medianMs / base.medianMs).toFixed(2)}×` : ''
    const ms = f.medianMs < 10 ? f.medianMs.toFixed(2) : Math.round(f.medianMs).toString()
    rows.push(`| ${f.scenario} | ${f.size || ''} | ${f.tool} | ${ms} ms | ${f.rssMB ? `${Math.round(f.rssMB)} MB` : ''} | ${ratio} |`)
  }
  return rows.join('\n')
}

await main()
