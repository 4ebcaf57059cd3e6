/**
 * `npm run bench`: migrate-plugin against drizzle-kit and raw better-sqlite3 at 10, 100 and 1000
 * models. Every figure is the median of several runs, and the tools are run alternately so that
 * noise on a shared machine hits both sides of a ratio alike. Writes bench/results.json and
 * bench/chart.svg; prints a table.
 */
import { spawnSync } from 'node:child_process'
import { cpus, totalmem } from 'node:os'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { writeFixture } from './fixture.ts'
import { renderChart } from './chart.ts'
import { backupDatabase } from '../plugin/targets/sqlite/backup.ts'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const SIZES = (process.env.BENCH_SIZES ?? '10,100,1000').split(',').map(Number)
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

function freshProject(n: number, extra?: number): string {
  const root = mkdtempSync(join(tmpdir(), `bench-${n}-`))
  writeFixture(root, n, extra)
  // An installed project has node_modules; the CLI keeps its record of loaded inputs in node_modules/.cache.
  mkdirSync(join(root, 'node_modules'))
  return root
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
    create['drizzle-kit push --force']!.push(run(root, drizzle('push', '--force', '--config', 'drizzle.config.ts')))
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
    noop['drizzle-kit push (no changes)']!.push(run(root, drizzle('push', '--config', 'drizzle.config.ts')))
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
    add['migrate-plugin apply']!.push(run(root, ours('apply')))
    add['drizzle-kit push']!.push(run(root, drizzle('push', '--force', '--config', 'drizzle.config.ts')))
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

async function main(): Promise<void> {
  if (!existsSync(join(REPO, 'dist/cli.js'))) spawnSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'inherit' })
  const started = Date.now()
  for (const n of SIZES) benchSize(n)
  await benchBackup()
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? '?', memoryGB: Math.round(totalmem() / 2 ** 30), node: process.version, date: new Date().toISOString() }
  writeFileSync(join(REPO, 'bench/results.json'), `${JSON.stringify({ machine, figures }, null, 2)}\n`)
  writeFileSync(join(REPO, 'bench/chart.svg'), renderChart(figures))
  console.log(`\n\n${table()}\n\nmachine: ${machine.cpus} × ${machine.cpu}, ${machine.memoryGB} GB, Node ${machine.node} · ${(Date.now() - started) / 1000} s`)
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
