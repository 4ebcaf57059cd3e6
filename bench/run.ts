/**
 * `npm run bench`: migrate-plugin against drizzle-kit and raw better-sqlite3 at 10, 100 and 1000
 * models, then against drizzle-kit and raw `pg` at 100 models on a PostgreSQL server of its own,
 * then a Vite dev server soaked with 300 saves. Every figure is the median of several runs, and the
 * tools are run alternately so that noise on a shared machine hits both sides of a ratio alike.
 * Next to the tools stand the physical floors: `node -e ''` for a whole process, the same DDL run
 * directly with better-sqlite3 for the database's own work. Writes bench/results.json and
 * bench/chart.svg; prints a table of figures and one of the goals of issue #12.
 * BENCH_SIZES=10,100 picks the SQLite sizes (empty: none); BENCH_POSTGRES=0 leaves PostgreSQL out;
 * BENCH_SOAK_SAVES=40 shortens the soak (default 300), BENCH_SOAK=0 leaves it out.
 */
import { spawnSync } from 'node:child_process'
import { cpus, totalmem } from 'node:os'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import pg from 'pg'
import { writeFixture } from './fixture.ts'
import { renderChart } from './chart.ts'
import { findPostgres, startPostgres, type BenchServer } from './postgres.ts'
import { goalsFor, goalsTable, type Goal } from './goals.ts'
import { soakNote, soakSummary, type SoakRaw, type SoakResult } from './soak-summary.ts'
import { backupDatabase } from '../plugin/targets/sqlite/backup.ts'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const SIZES = (process.env.BENCH_SIZES ?? '10,100,1000').split(',').filter((s) => s.trim() !== '').map(Number)
const reps = (n: number) => (n >= 1000 ? 3 : 5)
const SOAK_MODELS = 100
const SOAK_SAVES = Number(process.env.BENCH_SOAK_SAVES ?? 300)
const SOAK = process.env.BENCH_SOAK !== '0'
if (SOAK && !(Number.isInteger(SOAK_SAVES) && SOAK_SAVES >= 2)) throw new Error(`BENCH_SOAK_SAVES=${process.env.BENCH_SOAK_SAVES} is not a whole number of saves ≥ 2 (one column added and removed)`)

/** The node -e '' floor's name in every no-op scenario: a whole Node process that does nothing. */
const NODE_FLOOR = "node -e '' (Node's own start)"
const RAW_SQLITE = 'raw better-sqlite3 (same DDL)'

interface Sample { ms: number, rssMB: number, stdout?: string }
/** ours: migrate-plugin; peer: drizzle-kit; floor: what no tool can beat (Node's start, the DDL alone). */
export type Kind = 'ours' | 'peer' | 'floor'
export interface Figure {
  scenario: string, size: number, tool: string, kind: Kind, medianMs: number, rssMB: number, runs: number
  /** Said next to the figure in the table (the backup's share, the soak's RSS curve). */
  note?: string
  soak?: SoakResult
}
const figures: Figure[] = []

function kindOf(tool: string): Kind {
  if (tool.startsWith('migrate-plugin')) return 'ours'
  return tool.startsWith('raw ') || tool === NODE_FLOOR ? 'floor' : 'peer'
}

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

function record(scenario: string, size: number, tool: string, samples: Sample[]): Figure {
  const figure: Figure = { scenario, size, tool, kind: kindOf(tool), medianMs: median(samples.map((s) => s.ms)), rssMB: Math.max(...samples.map((s) => s.rssMB)), runs: samples.length }
  figures.push(figure)
  return figure
}

const nodeFloor = () => ['node', '-e', '']

/**
 * The database's own share of a run: `ddl` executed directly on `path` (open, one transaction,
 * close), as the tool executes it but without the tool. SQLite refuses PRAGMA foreign_keys inside a
 * transaction, and it changes nothing about the work, so those lines are left out.
 */
function rawDdl(path: string, ddl: string): Sample {
  const t = performance.now()
  const db = new Database(path)
  db.exec('BEGIN')
  db.exec(ddl.split('\n').filter((l) => !/^PRAGMA/i.test(l)).join('\n'))
  db.exec('COMMIT')
  db.close()
  return { ms: performance.now() - t, rssMB: 0 }
}

/** The SQL of the newest history row: what the last apply executed. */
function lastAppliedSql(path: string): string {
  const db = new Database(path, { readonly: true, fileMustExist: true })
  try {
    return (db.prepare('SELECT sql FROM _migration_history ORDER BY id DESC LIMIT 1').get() as { sql: string }).sql
  } finally {
    db.close()
  }
}

/** A byte copy of a closed SQLite database, its WAL included when one was left (else the copy would be stale). */
function copyDatabase(from: string, to: string): void {
  for (const s of ['-journal', '-wal', '-shm']) rmSync(`${to}${s}`, { force: true })
  copyFileSync(from, to)
  if (existsSync(`${from}-wal`)) copyFileSync(`${from}-wal`, `${to}-wal`)
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
  const create: Record<string, Sample[]> = { 'migrate-plugin apply': [], 'drizzle-kit push --force': [], [RAW_SQLITE]: [] }
  let ddl = ''
  const raw = join(root, 'raw.db')
  for (let i = 0; i < k; i++) {
    resetDbs(root)
    create['migrate-plugin apply']!.push(run(root, ours('apply', '--no-backup')))
    expectSqlite(join(root, 'app.db'), 'migrate-plugin apply', n)
    create['drizzle-kit push --force']!.push(run(root, drizzle('push', '--force', '--config', 'drizzle.config.ts')))
    expectSqlite(join(root, 'drizzle.db'), 'drizzle-kit push --force', n)
    ddl ||= lastAppliedSql(join(root, 'app.db'))
    for (const s of ['', '-journal', '-wal', '-shm']) rmSync(`${raw}${s}`, { force: true })
    create[RAW_SQLITE]!.push(rawDdl(raw, ddl))
    expectSqlite(raw, 'the same DDL', n)
    process.stdout.write('.')
  }
  for (const [tool, samples] of Object.entries(create)) record('create from empty', n, tool, samples)

  // 1. no-op: both databases are in sync now.
  const noop: Record<string, Sample[]> = { 'migrate-plugin check': [], 'migrate-plugin check, no record (fresh clone)': [], 'drizzle-kit push (no changes)': [], 'drizzle-kit check': [], [NODE_FLOOR]: [] }
  for (let i = 0; i < k; i++) {
    // Without the record of the last load (a fresh clone, a CI job): every model file is loaded.
    rmSync(join(root, 'node_modules', '.cache'), { recursive: true, force: true })
    noop['migrate-plugin check, no record (fresh clone)']!.push(run(root, ours('check')))
    noop[NODE_FLOOR]!.push(run(root, nodeFloor()))
    noop['migrate-plugin check']!.push(run(root, ours('check')))
    noop['drizzle-kit push (no changes)']!.push(expectNoChanges(run(root, drizzle('push', '--config', 'drizzle.config.ts'))))
    noop['drizzle-kit check']!.push(run(root, drizzle('check', '--config', 'drizzle.config.ts')))
    process.stdout.write('.')
  }
  for (const [tool, samples] of Object.entries(noop)) record('no-op, whole process', n, tool, samples)
  const hook = run(REPO, ['node', join(REPO, 'bench/inprocess.mjs'), 'hook', root, '20'])
  const hookResult = JSON.parse(hook.stdout!.trim().split("\n").pop()!) as { times: number[], coldMs: number }
  figures.push({ scenario: 'no-op, build-start hook (in process)', size: n, tool: 'migrate-plugin', kind: 'ours', medianMs: median(hookResult.times), rssMB: hook.rssMB, runs: hookResult.times.length })
  figures.push({ scenario: 'no-op, build-start hook (in process)', size: n, tool: 'migrate-plugin, first build in a process', kind: 'ours', medianMs: hookResult.coldMs, rssMB: hook.rssMB, runs: 1 })
  process.stdout.write('.')

  // 3. one column added to one table: ours with the backup it promises and without it (so the
  // backup's share is known; drizzle-kit takes none), drizzle-kit, and the same DDL alone. Each of
  // ours starts from a byte copy of the database as it was before, and so does the DDL alone: the
  // same work each time. Which of ours goes first alternates, so drift favours neither.
  const WITH_BACKUP = 'migrate-plugin apply'
  const NO_BACKUP = 'migrate-plugin apply --no-backup'
  const add: Record<string, Sample[]> = { [WITH_BACKUP]: [], [NO_BACKUP]: [], 'drizzle-kit push': [], [RAW_SQLITE]: [] }
  const table = `t${Math.floor(n / 2)}`
  const app = join(root, 'app.db')
  const before = join(root, 'before.db')
  let addDdl = ''
  for (let i = 0; i < k; i++) {
    copyDatabase(app, before)
    writeFixture(root, n, Math.floor(n / 2))
    for (const tool of i % 2 ? [NO_BACKUP, WITH_BACKUP] : [WITH_BACKUP, NO_BACKUP]) {
      copyDatabase(before, app)
      add[tool]!.push(run(root, tool === NO_BACKUP ? ours('apply', '--no-backup') : ours('apply')))
      expectSqlite(app, tool, n, table, 'extra')
    }
    add['drizzle-kit push']!.push(run(root, drizzle('push', '--force', '--config', 'drizzle.config.ts')))
    expectSqlite(join(root, 'drizzle.db'), 'drizzle-kit push', n, table, 'extra')
    if (!addDdl) {
      addDdl = lastAppliedSql(app)
      if (!addDdl.includes('"extra"')) throw new Error(`the last history row of ${app} is not the added column:\n${addDdl}`)
    }
    copyDatabase(before, raw)
    add[RAW_SQLITE]!.push(rawDdl(raw, addDdl))
    expectSqlite(raw, 'the same DDL', n, table, 'extra')
    // Back to the base schema without measuring: ours from the copy, drizzle-kit by dropping the column.
    copyDatabase(before, app)
    writeFixture(root, n)
    run(root, drizzle('push', '--force', '--config', 'drizzle.config.ts'))
    process.stdout.write('.')
  }
  const added = Object.entries(add).map(([tool, samples]) => record('add one column', n, tool, samples))
  const [withBackup, noBackup] = [added.find((f) => f.tool === WITH_BACKUP)!, added.find((f) => f.tool === NO_BACKUP)!]
  const share = withBackup.medianMs - noBackup.medianMs
  withBackup.note = `the backup's share: ${Math.round(share)} ms (${Math.round(share / withBackup.medianMs * 100)} % of the apply)`
  for (const path of [before, raw]) for (const s of ['', '-journal', '-wal', '-shm']) rmSync(`${path}${s}`, { force: true })
  rmSync(join(root, 'backups'), { recursive: true, force: true })

  // 4. dev loop: Vite dev server, save → column in the DB.
  const dev = run(REPO, ['node', join(REPO, 'bench/inprocess.mjs'), 'devloop', root, String(k)])
  const devResult = JSON.parse(dev.stdout!.trim().split("\n").pop()!) as { times: number[] }
  figures.push({ scenario: 'dev loop: save → column in DB', size: n, tool: 'migrate-plugin + vite dev', kind: 'ours', medianMs: median(devResult.times), rssMB: dev.rssMB, runs: devResult.times.length })
  process.stdout.write('.')
  rmSync(root, { recursive: true, force: true })
}

/**
 * A Vite dev server in a child process of its own, saved SOAK_SAVES times (bench/soak.mjs): its RSS
 * over the session, and its save → column time. The project starts in sync, as a developer's does.
 */
function benchSoak(saves: number): void {
  const n = SOAK_MODELS
  const root = freshProject(n)
  try {
    process.stdout.write(`\ndev server soak, ${n} models, ${saves} saves: `)
    run(root, ours('apply', '--no-backup'))
    expectSqlite(join(root, 'app.db'), 'migrate-plugin apply', n)
    const child = run(REPO, ['node', join(REPO, 'bench/soak.mjs'), root, String(saves)])
    const soak = soakSummary(JSON.parse(child.stdout!.trim().split('\n').pop()!) as SoakRaw, saves)
    figures.push({ scenario: `dev server soak: save → column, ${saves} saves`, size: n, tool: 'migrate-plugin + vite dev', kind: 'ours', medianMs: soak.medianAddMs, rssMB: child.rssMB, runs: saves, note: soakNote(soak), soak })
    process.stdout.write('.')
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
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
  figures.push({ scenario: 'backup of a 100 MB database', size: 0, tool: 'migrate-plugin (VACUUM INTO)', kind: 'ours', medianMs: median(samples), rssMB: 0, runs: 3 })
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
    const noop: Record<string, Sample[]> = { 'migrate-plugin check': [], 'migrate-plugin check, no record (fresh clone)': [], 'drizzle-kit push (no changes)': [], [NODE_FLOOR]: [] }
    for (let i = 0; i < k; i++) {
      rmSync(join(root, 'node_modules', '.cache'), { recursive: true, force: true })
      noop['migrate-plugin check, no record (fresh clone)']!.push(run(root, ours('check')))
      noop[NODE_FLOOR]!.push(run(root, nodeFloor()))
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
  if (SOAK) benchSoak(SOAK_SAVES)
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
  const goals: Goal[] = goalsFor(figures)
  writeFileSync(join(REPO, 'bench/results.json'), `${JSON.stringify({ machine, figures, goals }, null, 2)}\n`)
  writeFileSync(join(REPO, 'bench/chart.svg'), renderChart(figures))
  console.log(`\n\n${table()}\n\n${goals.length ? goalsTable(goals) : 'goals: none measured in this run (they need SQLite at 100 or 1000 models, or the soak)'}\n\nmachine: ${machine.cpus} × ${machine.cpu}, ${machine.memoryGB} GB, Node ${machine.node}${postgres ? `, PostgreSQL ${postgres}` : ''} · ${(Date.now() - started) / 1000} s`)
  console.log('wrote bench/results.json and bench/chart.svg')
}

/** "vs floor": how many times the physical floor of the same scenario (Node's start, the DDL alone) a figure is. */
export function table(): string {
  const rows = ['| scenario | models | tool | median | peak RSS | vs migrate-plugin | vs floor | note |', '|---|---:|---|---:|---:|---:|---:|---|']
  for (const f of figures) {
    const base = figures.find((g) => g.scenario === f.scenario && g.size === f.size && g.kind === 'ours')
    const floor = figures.find((g) => g.scenario === f.scenario && g.size === f.size && g.kind === 'floor')
    const ratio = base && base !== f ? times(f.medianMs / base.medianMs, 2) : ''
    const overFloor = floor && f.kind !== 'floor' ? times(f.medianMs / floor.medianMs, 1) : ''
    const ms = f.medianMs < 10 ? f.medianMs.toFixed(2) : Math.round(f.medianMs).toString()
    rows.push(`| ${f.scenario} | ${f.size || ''} | ${f.tool} | ${ms} ms | ${f.rssMB ? `${Math.round(f.rssMB)} MB` : ''} | ${ratio} | ${overFloor} | ${f.note ?? ''} |`)
  }
  return rows.join('\n')
}

/** A ratio; one far below 1 (a floor against a tool) keeps a significant digit instead of reading 0.00×. */
function times(ratio: number, digits: number): string {
  return `${ratio < 10 ** -digits ? ratio.toPrecision(1) : ratio.toFixed(digits)}×`
}

await main()
