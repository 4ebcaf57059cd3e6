import { rmSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { Project } from './helpers.ts'

/**
 * Whatever a model file (or a file it imports) throws while it loads, the run ends with a clear
 * MODEL_LOAD error naming a file: never a crash of the tool, never "[object Object]", never a
 * message ending in an empty ": ", and secrets masked.
 */
const projects: Project[] = []
afterEach(() => {
  for (const p of projects.splice(0)) rmSync(p.root, { recursive: true, force: true })
})

const MODEL = `import { table, int } from 'migrate-plugin/model'
import './../lib/helper.ts'

export const t = table('t', { id: int().primaryKey() })
`

function project(helper: string): Project {
  const p = new Project({ 'model/m.ts': MODEL, 'lib/helper.ts': `${helper}\nexport const x = 1\n` })
  projects.push(p)
  return p
}

interface Outcome { text: string, json: { ok: boolean, error: { code: string, message: string, hint?: string, location?: { file: string } } } }

function run(p: Project): Outcome {
  const text = p.cli(['apply'])
  expect(text.code, text.stderr).toBe(1)
  const json = p.cli(['apply', '--json'])
  expect(json.code, json.stdout).toBe(1)
  const all = text.stdout + text.stderr + json.stdout + json.stderr
  // Not a crash of the tool: no "unexpected error", no TypeError of our own, no stack trace.
  expect(all).not.toMatch(/unexpected error|Cannot convert object to primitive|reading 'split'|\n\s+at .*:\d+:\d+/)
  expect(all).not.toContain('[object Object]')
  expect(all).not.toMatch(/:\s*$/m)
  return { text: text.stderr, json: JSON.parse(json.stdout) }
}

/** [what the helper throws, the description that must be shown] */
const NON_ERRORS: [string, string, RegExp][] = [
  ['null', 'throw null', /threw a non-Error value: null/],
  ['undefined', 'throw undefined', /threw a non-Error value: undefined/],
  ['a string', "throw 'no config found'", /threw a non-Error value: "no config found"/],
  ['a number', 'throw 42', /threw a non-Error value: 42/],
  ['an object with a code', "throw { code: 'E1' }", /threw a non-Error value: an object \{"code":"E1"\}/],
  ['an object without a prototype', 'throw Object.create(null)', /threw a non-Error value: an object without a prototype/],
  ['an object whose getters throw', "throw { get code() { throw new Error('x') }, get message() { throw new Error('y') } }", /threw a non-Error value: an object/],
  ['a circular object', 'const o: any = {}; o.self = o; throw o', /threw a non-Error value: an object/],
  ['a symbol', "throw Symbol('boom')", /threw a non-Error value: Symbol\(boom\)/],
  ['a very long string', "throw 'x'.repeat(5000)", /threw a non-Error value: "x{50,}…/],
]

describe('a non-Error thrown by an imported file', () => {
  it.each(NON_ERRORS)('%s: named against the model file, saying the throwing file cannot be known', (_what, helper, description) => {
    const p = project(helper)
    const { text, json } = run(p)
    expect(text).toMatch(description)
    expect(text).toContain('model/m.ts: the model file failed to load: it threw a non-Error value')
    expect(text).toMatch(/the file that threw it cannot be known: model\/m\.ts or a file it imports/)
    expect(json.error.code).toBe('MODEL_LOAD')
    expect(json.error.location?.file).toBe('model/m.ts')
    expect(json.error.hint).toMatch(/throw an Error instead/)
    expect(text.length).toBeLessThan(2000)
  })
})

const ODD_ERRORS: [string, string, RegExp][] = [
  ['an Error without a message', 'throw new Error()', /lib\/helper\.ts:1(:\d+)?: the file failed to load \(reached from model\/m\.ts\): Error with no message/],
  ['a TypeError without a message', 'throw new TypeError()', /lib\/helper\.ts:1(:\d+)?: the file failed to load \(reached from model\/m\.ts\): TypeError with no message/],
  ['an Error whose message is undefined', 'const e = new Error("x"); (e as any).message = undefined; throw e', /lib\/helper\.ts:1(:\d+)?: .*Error with no message/],
  ['an Error with a secret in its message', "throw new Error('login failed: password=hunter2 token sk_live_abcdef123456')", /lib\/helper\.ts:1(:\d+)?: .*password=\*\*\* token sk_live_\*\*\*/],
]

describe('an Error with no usable message', () => {
  it.each(ODD_ERRORS)('%s: the throwing file is named, with a message', (_what, helper, message) => {
    const p = project(helper)
    const { text, json } = run(p)
    expect(text).toMatch(message)
    expect(text).not.toMatch(/hunter2|abcdef123456/)
    expect(json.error.code).toBe('MODEL_LOAD')
    expect(json.error.location?.file).toBe('lib/helper.ts')
  })

  // V8 cannot format the stack of these (it prints the message into it), so no file is known from it.
  it.each([
    ['an Error whose message is an object', 'const e = new Error("x"); (e as any).message = Object.create(null); throw e', /Error with a message that is not text: an object without a prototype/],
    ['an Error whose message getter throws', 'const e = new Error("x"); Object.defineProperty(e, "message", { get() { throw new Error("no") } }); throw e', /Error with no message/],
  ] as [string, string, RegExp][])('%s: a clear message, no crash', (_what, helper, message) => {
    const p = project(helper)
    const { text, json } = run(p)
    expect(text).toMatch(message)
    expect(json.error.code).toBe('MODEL_LOAD')
  })

  it('the same in the model file itself', () => {
    const p = new Project({ 'model/m.ts': 'throw Object.create(null)\n' })
    projects.push(p)
    const { text } = run(p)
    expect(text).toContain('model/m.ts: the model file failed to load: it threw a non-Error value: an object without a prototype')
  })
})
