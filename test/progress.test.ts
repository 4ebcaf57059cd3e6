import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { Progress, isCI, type ProgressStream } from '../plugin/cli/progress.ts'
import { Project, USERS_MODEL } from './helpers.ts'
import { cliOnTerminal } from './tty.ts'

/** A model file that takes 1.5 s to load: a slow step, as a real user's top-level await makes one. */
const SLOW_MODEL = `await new Promise((resolve) => setTimeout(resolve, 1500))
export {}
`

function slowProject(): Project {
  return new Project({ 'model/users.ts': USERS_MODEL, 'model/slow.ts': SLOW_MODEL })
}

class Terminal implements ProgressStream {
  isTTY = true
  columns = 60
  text = ''
  write(chunk: string): boolean {
    this.text += chunk
    return true
  }
}

const ESC = '\u001b'

describe('progress line', () => {
  it('on a terminal, a slow apply shows what it is doing, updated in place, and erases it before the result', () => {
    const p = slowProject()
    const r = cliOnTerminal(p, ['apply'])
    expect(r.code, r.output).toBe(0)
    expect(r.output).toMatch(/\r\u001b\[2K\S+ loading the models… \d+\.\d s/)
    // Redrawn in place, more than once, as the time goes by.
    expect(r.output.match(/\r\u001b\[2K\S+ loading the models…/g)!.length).toBeGreaterThan(3)
    // The last thing before the result is the erase: the result line starts clean.
    const result = r.output.indexOf('✔ applied 2 change(s)')
    expect(result).toBeGreaterThan(0)
    expect(r.output.slice(0, result)).toMatch(/\r\u001b\[2K$/)
    expect(p.tables()).toContain('users')
  })

  it('piped (no TTY), the same slow apply prints no progress text, no carriage return and no escape code', () => {
    const p = slowProject()
    const r = p.cli(['apply'])
    expect(r.code, r.stderr).toBe(0)
    const all = r.stdout + r.stderr
    expect(all).toContain('✔ applied 2 change(s)')
    expect(all).not.toContain('\r')
    expect(all).not.toContain(ESC)
    expect(all).not.toMatch(/loading the models|planning|backing up/)
  })

  it('on a terminal with CI set, or with --json, there is no progress line either', () => {
    const p = slowProject()
    const ci = cliOnTerminal(p, ['check'], { CI: 'true' })
    expect(ci.code, ci.output).toBe(2)
    expect(ci.output).not.toMatch(/loading the models|\u001b\[2K/)
    const json = cliOnTerminal(p, ['check', '--json'])
    expect(json.code, json.output).toBe(2)
    expect(json.output).not.toMatch(/loading the models|\u001b\[2K/)
    expect(JSON.parse(json.output)).toMatchObject({ version: 1, ok: true, command: 'check', outcome: 'pending' })
  })

  it('a fast step draws nothing; a slow one appears after the delay; done() erases it; the next step of a slow run shows at once', async () => {
    const fast = new Terminal()
    const quick = new Progress({ stream: fast, env: {}, delayMs: 200, intervalMs: 20 })
    quick.step('loading the models')
    await sleep(50)
    quick.done()
    expect(fast.text).toBe('')

    const slow = new Terminal()
    const progress = new Progress({ stream: slow, env: {}, delayMs: 100, intervalMs: 20 })
    progress.step('loading the models')
    await sleep(250)
    expect(slow.text).toMatch(/^\r\u001b\[2K\S loading the models… 0\.\d s/)
    const before = slow.text.length
    // A step that blocks the event loop (the backup) still gets its line: drawn synchronously.
    progress.step('backing up the database')
    expect(slow.text.slice(before)).toMatch(/^\r\u001b\[2K\S backing up the database… \d\.\d s$/)
    progress.done()
    expect(slow.text.endsWith('\r\u001b[2K')).toBe(true)
    const after = slow.text.length
    await sleep(100)
    expect(slow.text.length).toBe(after)
  })

  it('never writes when the stream is not a terminal, when CI is set, with --json, or on TERM=dumb; long labels are cut to the width', async () => {
    for (const [stream, env, json] of [
      [Object.assign(new Terminal(), { isTTY: false }), {}, false],
      [new Terminal(), { CI: '1' }, false],
      [new Terminal(), {}, true],
      [new Terminal(), { TERM: 'dumb' }, false],
    ] as const) {
      const progress = new Progress({ stream, env, json, delayMs: 0, intervalMs: 10 })
      expect(progress.enabled).toBe(false)
      progress.step('loading the models')
      await sleep(40)
      progress.done()
      expect(stream.text).toBe('')
    }
    expect(isCI({ CI: 'false' })).toBe(false)
    expect(isCI({ CI: '' })).toBe(false)
    expect(isCI({ CI: 'true' })).toBe(true)
    const narrow = Object.assign(new Terminal(), { columns: 20 })
    const progress = new Progress({ stream: narrow, env: {}, delayMs: 0, intervalMs: 10 })
    progress.step('a label much longer than twenty columns')
    await sleep(40)
    progress.done()
    for (const drawn of narrow.text.split('\r\u001b[2K').filter(Boolean)) expect([...drawn].length).toBeLessThanOrEqual(19)
  })
})
