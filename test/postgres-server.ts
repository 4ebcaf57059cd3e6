import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    /** A superuser URL of the PostgreSQL server this test run started (trusted, no password). */
    postgresUrl: string
  }
}

/**
 * A real PostgreSQL server for the run: the Postgres target is tested against the database itself,
 * never a stand-in. It is started for every run (about a second) rather than only when a Postgres
 * test file is selected, and a machine without PostgreSQL fails the run: a skipped Postgres suite
 * would read as a green one.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const bin = postgresBinDir()
  // Outside the run folder that global-setup.ts watches for leftovers: the server lives until
  // after that check, and its files are this setup's to remove, not a test's.
  const base = process.env.MP_TEST_RUN_DIR ? dirname(process.env.MP_TEST_RUN_DIR) : tmpdir()
  const root = mkdtempSync(join(base, 'mp-postgres-'))
  const asPostgres = process.getuid?.() === 0
  try {
    if (asPostgres) {
      // PostgreSQL refuses to run as root: the folder (data, socket, log) belongs to `postgres`.
      const { uid, gid } = postgresUser()
      chownSync(root, uid, gid)
    }
    chmodSync(root, 0o700)
    const data = join(root, 'pg')
    run(bin, 'initdb', ['-D', data, '--auth=trust', '-U', 'postgres', '--no-sync', '--encoding=UTF8', '--locale=C'], asPostgres)
    // Only the superuser is trusted; every other role must give its password over TCP, so that the
    // tests of a wrong password meet a real refusal.
    writeFileSync(join(data, 'pg_hba.conf'), [
      'local all all trust',
      'host all postgres 127.0.0.1/32 trust',
      'host all all 127.0.0.1/32 scram-sha-256',
      '',
    ].join('\n'))
    if (asPostgres) { const { uid, gid } = postgresUser(); chownSync(join(data, 'pg_hba.conf'), uid, gid) }
    const port = await freePort()
    const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${root} -c fsync=off -c max_connections=200`
    run(bin, 'pg_ctl', ['-D', data, '-l', join(root, 'server.log'), '-o', options, '-w', '-t', '60', 'start'], asPostgres, join(root, 'server.log'))
    const watchdog = stopWhenOrphaned(bin, data, root, asPostgres)
    project.provide('postgresUrl', `postgresql://postgres@127.0.0.1:${port}/postgres`)
    return () => {
      try {
        watchdog.kill()
        run(bin, 'pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop'], asPostgres)
      } finally {
        rmSync(root, { recursive: true, force: true })
      }
    }
  } catch (error) {
    rmSync(root, { recursive: true, force: true })
    throw error
  }
}

const INSTALL = 'Install PostgreSQL (Debian/Ubuntu: `apt-get install postgresql`; macOS: `brew install postgresql`) so that `initdb` and `pg_ctl` are on PATH or under /usr/lib/postgresql/<version>/bin.'

/** The folder holding initdb and pg_ctl: PATH first, then the newest of Debian's versioned folders. */
export function postgresBinDir(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir
  }
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').filter((v) => /^\d+(\.\d+)?$/.test(v)) : []
  versions.sort((a, b) => Number(b) - Number(a))
  for (const version of versions) {
    const dir = join('/usr/lib/postgresql', version, 'bin')
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir
  }
  throw new Error(`the PostgreSQL tests need a PostgreSQL server, and none was found. ${INSTALL}`)
}

function postgresUser(): { uid: number, gid: number } {
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').find((line) => line.startsWith('postgres:'))
  if (!passwd) throw new Error(`running as root, the PostgreSQL server must run as the \`postgres\` user, and there is none. ${INSTALL}`)
  const [, , uid, gid] = passwd.split(':')
  return { uid: Number(uid), gid: Number(gid) }
}

function run(bin: string, tool: string, args: string[], asPostgres: boolean, log?: string): SpawnSyncReturns<string> {
  const command = asPostgres ? 'runuser' : join(bin, tool)
  const argv = asPostgres ? ['-u', 'postgres', '--', join(bin, tool), ...args] : args
  const result = spawnSync(command, argv, { encoding: 'utf8', timeout: 90_000, cwd: '/' })
  if (result.status !== 0) {
    const logText = log && existsSync(log) ? `\n--- server log ---\n${readFileSync(log, 'utf8')}` : ''
    throw new Error(`${tool} ${args.join(' ')} failed (as ${asPostgres ? 'postgres' : userInfo().username}, exit ${result.status ?? result.signal ?? result.error?.message}):\n${result.stderr}${result.stdout}${logText}`)
  }
  return result
}

/**
 * The teardown does not run when the test run is killed (a timeout, ^C twice): a server left behind
 * would hold its port and folder until the machine restarts. A small detached shell watches this
 * process and, once it is gone, stops the server and removes its folder.
 */
export function stopWhenOrphaned(bin: string, data: string, root: string, asPostgres: boolean): ChildProcess {
  const stop = asPostgres ? 'runuser -u postgres -- "$2/pg_ctl" -D "$3" -m immediate stop' : '"$2/pg_ctl" -D "$3" -m immediate stop'
  const child = spawn('sh', ['-c', `while kill -0 "$1" 2>/dev/null; do sleep 1; done; ${stop} >/dev/null 2>&1; rm -rf "$4"`, 'sh', String(process.pid), bin, data, root], {
    detached: true,
    stdio: 'ignore',
  })
  child.unref()
  return child
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))))
    })
  })
}
