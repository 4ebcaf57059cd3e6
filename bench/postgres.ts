import { spawnSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { freePort, postgresBinDir, stopWhenOrphaned } from '../test/postgres-server.ts'

/**
 * A throwaway PostgreSQL server for the benchmark, started the way the test set-up starts its own
 * (initdb + pg_ctl on 127.0.0.1, trusted superuser `postgres`, fsync off), so that the figures
 * measure the tools and not a shared server's load or a disk's flush. The test set-up's start
 * function is a vitest global setup (it hands its URL to vitest), so only its binary lookup is shared.
 */
export interface BenchServer {
  /** A superuser URL of `database` on this server. */
  url(database: string): string
  /** Runs `fn` on a superuser connection to `database`. */
  withClient<T>(database: string, fn: (client: pg.Client) => Promise<T>): Promise<T>
  /**
   * A new folder that goes with the server's own, also when the bench is killed (^C, a CI timeout),
   * when no `finally` runs: the projects whose migration.conf points at this server.
   */
  tempDir(prefix: string): string
  /** Drops (if there) and creates `database`, empty. */
  recreate(database: string): Promise<void>
  /** Stops the server and removes its folder; safe to call more than once. */
  stop(): void
}

/** The folder holding initdb and pg_ctl, or an error saying how to get them or skip the section. */
export function findPostgres(): string {
  try {
    return postgresBinDir()
  } catch (error) {
    throw new Error(`the benchmark's PostgreSQL section starts its own server, and cannot: ${(error as Error).message} Or run without that section: BENCH_POSTGRES=0 npm run bench`)
  }
}

export async function startPostgres(bin: string): Promise<BenchServer> {
  const root = mkdtempSync(join(tmpdir(), 'bench-postgres-'))
  // PostgreSQL refuses to run as root: then the folder (data, socket, log) belongs to `postgres`.
  const owner = process.getuid?.() === 0 ? postgresUser() : undefined
  const data = join(root, 'pg')
  const log = join(root, 'server.log')
  // Watching from the start: a bench killed during initdb must not leave the half-made folder either.
  const watchdog = stopWhenOrphaned(bin, data, root, owner !== undefined)
  let stopped = false
  let port = 0
  const stop = (): void => {
    if (stopped) return
    stopped = true
    try {
      watchdog.kill()
      if (existsSync(join(data, 'postmaster.pid'))) pgTool(bin, 'pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop'], owner)
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  }
  try {
    if (owner) chownSync(root, owner.uid, owner.gid)
    chmodSync(root, 0o700)
    pgTool(bin, 'initdb', ['-D', data, '--auth=trust', '-U', 'postgres', '--no-sync', '--encoding=UTF8', '--locale=C'], owner)
    writeFileSync(join(data, 'pg_hba.conf'), 'local all all trust\nhost all postgres 127.0.0.1/32 trust\n')
    if (owner) chownSync(join(data, 'pg_hba.conf'), owner.uid, owner.gid)
    port = await freePort()
    const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${root} -c fsync=off`
    pgTool(bin, 'pg_ctl', ['-D', data, '-l', log, '-o', options, '-w', '-t', '60', 'start'], owner, log)
  } catch (error) {
    stop()
    throw error
  }
  const url = (database: string): string => `postgresql://postgres@127.0.0.1:${port}/${database}`
  const withClient = async <T>(database: string, fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url(database) })
    await client.connect()
    try {
      return await fn(client)
    } finally {
      await client.end()
    }
  }
  return {
    url,
    withClient,
    stop,
    tempDir: (prefix) => mkdtempSync(join(root, prefix)),
    recreate: (database) => withClient('postgres', async (c) => {
      // FORCE: a tool killed mid-run could still hold a session, and the next run must start empty.
      await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`)
      await c.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`)
    }),
  }
}

function postgresUser(): { uid: number, gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'))
  if (!line) throw new Error('running as root, the benchmark\'s PostgreSQL server must run as the `postgres` user, and there is none: install PostgreSQL from the system\'s packages (it creates that user), or run as another user')
  const [, , uid, gid] = line.split(':')
  return { uid: Number(uid), gid: Number(gid) }
}

function pgTool(bin: string, tool: string, args: string[], owner: { uid: number } | undefined, log?: string): void {
  const [command, argv] = owner ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args]
  const r = spawnSync(command, argv, { encoding: 'utf8', timeout: 90_000, cwd: '/' })
  if (r.status !== 0) {
    const logText = log && existsSync(log) ? `\n--- server log ---\n${readFileSync(log, 'utf8')}` : ''
    throw new Error(`${tool} ${args.join(' ')} failed (exit ${r.status ?? r.signal ?? r.error?.message}):\n${r.stderr}${r.stdout}${logText}`)
  }
}

