import { spawn } from 'node:child_process'
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { constants } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BIN, Project, USERS_MODEL, cleanEnv } from './helpers.ts'

/**
 * `check` previews the change on a private copy of the database (it holds all the data): the copy
 * is as private as the database, never outlives the check (not after SIGINT/SIGTERM, and a copy
 * left by a SIGKILLed check is removed by the next check), and a copy that cannot be made is said,
 * not taken for "nothing would be lost".
 */
const projects: Project[] = []
afterEach(() => {
  for (const p of projects.splice(0)) rmSync(p.root, { recursive: true, force: true })
})

/** A migrated project with rows, whose model now drops users.name: check needs the engine's verdict. */
async function dropping(): Promise<{ p: Project, tmp: string }> {
  const p = new Project({ 'model/users.ts': USERS_MODEL })
  projects.push(p)
  await p.migrate()
  p.sql("INSERT INTO users (email, name, createdAt) VALUES ('a@x', 'ann', 0), ('b@x', 'bob', 0)")
  chmodSync(p.dbPath, 0o600)
  p.write('model/users.ts', USERS_MODEL.replace('  name: text(),\n', ''))
  const tmp = join(p.root, 'tmp')
  mkdirSync(tmp)
  return { p, tmp }
}

/** Whether this process (and so a child it spawns) has `signal` ignored, from /proc/self/status. */
function inheritedIgnored(signal: NodeJS.Signals): boolean {
  const mask = /^SigIgn:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]
  return mask !== undefined && (BigInt(`0x${mask}`) >> BigInt(constants.signals[signal] - 1) & 1n) === 1n
}

const copies = (tmp: string) => readdirSync(tmp).filter((f) => f.startsWith('migrate-plugin-check-'))

/** Run `check` and send `signal` once the copy exists (the check-copied trace point). */
function checkKilledAfterCopy(p: Project, env: NodeJS.ProcessEnv, signal: NodeJS.Signals): Promise<{ code: number | null, signal: NodeJS.Signals | null, stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'check'], { cwd: p.root, env: { ...cleanEnv(), ...env, MIGRATE_PLUGIN_TRACE: '1', MIGRATE_PLUGIN_PAUSE_AT: 'check-copied' } })
    let stderr = ''
    let sent = false
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
      if (!sent && / check-copied\n/.test(stderr)) {
        sent = true
        child.kill(signal)
      }
    })
    child.on('close', (code, sig) => resolve({ code, signal: sig, stderr }))
  })
}

describe('the copy check makes', () => {
  it('is 0600 from the start, is left by a SIGKILLed check, and the next check removes it (not a live process\'s)', async () => {
    const { p, tmp } = await dropping()
    const killed = p.cli(['check'], { TMPDIR: tmp, MIGRATE_PLUGIN_CRASH_AT: 'check-copied' })
    expect(killed.code, killed.stderr).toBe(-1)
    const left = copies(tmp)
    expect(left).toHaveLength(1)
    expect(left[0]).toMatch(/^migrate-plugin-check-\d+-/)
    const file = join(tmp, left[0]!, 'dev.db')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(file).size).toBeGreaterThan(0)
    // A check in progress in another process: named by a live pid (this test's own).
    const live = join(tmp, `migrate-plugin-check-${process.pid}-abcdef`)
    mkdirSync(live)
    writeFileSync(join(live, 'dev.db'), 'in use')
    const before = p.hash()
    const next = p.cli(['check'], { TMPDIR: tmp })
    expect(next.code, next.stdout + next.stderr).toBe(2)
    expect(next.stdout).toMatch(/data loss: .*drop the column `name`/)
    expect(copies(tmp)).toEqual([`migrate-plugin-check-${process.pid}-abcdef`])
    expect(p.hash()).toBe(before)
  })

  it.each(['SIGTERM', 'SIGINT'] as NodeJS.Signals[])('%s while the copy exists: removed, and the process still ends by that signal', async (signal) => {
    const { p, tmp } = await dropping()
    const run = await checkKilledAfterCopy(p, { TMPDIR: tmp }, signal)
    expect(run.stderr).toContain('check-copied')
    // A signal the CLI inherited as ignored (a background job's SIGINT) stays ignored: the check ends normally.
    if (inheritedIgnored(signal)) expect(run.code).toBe(2)
    else expect(run.signal, `code ${run.code}\n${run.stderr.slice(-600)}`).toBe(signal)
    expect(copies(tmp)).toEqual([])
  })

  it('a check that ends normally leaves nothing behind', async () => {
    const { p, tmp } = await dropping()
    const r = p.cli(['check', '--json'], { TMPDIR: tmp })
    expect(r.code).toBe(2)
    expect(JSON.parse(r.stdout).lossCheckError).toBeUndefined()
    expect(copies(tmp)).toEqual([])
  })
})

describe('a copy that cannot be made', () => {
  const places: [string, (tmp: string) => string][] = [
    ['TMPDIR is a path under a regular file', (tmp) => { writeFileSync(join(tmp, 'plain'), 'x'); return join(tmp, 'plain', 'deeper') }],
    ['TMPDIR is a regular file', (tmp) => { writeFileSync(join(tmp, 'file'), 'x'); return join(tmp, 'file') }],
  ]
  it.each(places)('%s: check says it could not check what apply would lose, in text and JSON', async (_what, place) => {
    const { p, tmp } = await dropping()
    const env = { TMPDIR: place(tmp) }
    const before = p.hash()
    const text = p.cli(['check'], env)
    expect(text.code, text.stdout + text.stderr).toBe(2)
    expect(text.stdout).toMatch(/! could not check what apply would lose \(no copy of the database could be made in .*tmp.*: .*TMPDIR chooses the folder\); run npx migrate-plugin preview to see it/)
    const json = JSON.parse(p.cli(['check', '--json'], env).stdout)
    expect(json.lossCheckError).toMatch(/no copy of the database could be made in/)
    // preview needs no copy, and shows what check could not.
    const preview = p.cli(['preview'], env)
    expect(preview.stdout).toMatch(/data loss: .*drop the column `name`/)
    expect(p.hash()).toBe(before)
  })
})
