import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { decimal, int, table, text } from '../plugin/model/dsl.ts'
import { REPO } from './helpers.ts'

/**
 * The DSL's types (InferRow, InferInsert, $type, decimal as DecimalLike) are asserted in
 * test/types/dsl-types.fixture.ts; this compiles that file with the project's compiler settings,
 * so a type regression fails the test run and not only `tsc --noEmit`. The controls prove the
 * compilation does fail on a wrong assertion and on an `@ts-expect-error` that no longer errs.
 */

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
const FIXTURE = join(REPO, 'test', 'types', 'dsl-types.fixture.ts')

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** Compile `files` alone, with the repository's tsconfig (strict, its paths for migrate-plugin/model). */
function compile(files: string[]): { code: number | null, output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mp-types-'))
  dirs.push(dir)
  const config = join(dir, 'tsconfig.json')
  writeFileSync(config, JSON.stringify({ extends: join(REPO, 'tsconfig.json'), compilerOptions: { noEmit: true, incremental: false, typeRoots: [join(REPO, 'node_modules', '@types')] }, include: [], files }))
  const run = spawnSync(process.execPath, [tsc, '-p', config, '--pretty', 'false'], { encoding: 'utf8', timeout: 120_000 })
  return { code: run.status, output: `${run.stdout}${run.stderr}` }
}

describe('model DSL types', () => {
  it('every assertion in test/types/dsl-types.fixture.ts compiles: InferRow, InferInsert, $type, decimal, sql, the options form', () => {
    const result = compile([FIXTURE])
    expect(result.output).toBe('')
    expect(result.code).toBe(0)
  })

  it('controls: a wrong assertion, and an @ts-expect-error whose line now compiles, each fail the compilation', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mp-types-src-'))
    dirs.push(dir)
    writeFileSync(join(dir, 'lost.ts'), `import { int, table, text, type InferInsert } from 'migrate-plugin/model'
const t = table('t', { id: int().primaryKey(), email: text().notNull(), name: text() })
export const x: InferInsert<typeof t> = { id: 1 }
`)
    writeFileSync(join(dir, 'unused.ts'), `import { text } from 'migrate-plugin/model'
// @ts-expect-error
text().$type<'a' | 'b'>().default('a')
`)
    const result = compile([join(dir, 'lost.ts'), join(dir, 'unused.ts')])
    expect(result.code).not.toBe(0)
    expect(result.output).toMatch(/lost\.ts\(3,14\): error TS2741: Property 'email' is missing/)
    expect(result.output).toMatch(/unused\.ts\(2,1\): error TS2578: Unused '@ts-expect-error' directive/)
  })

  it('$type() changes types only: the column it makes has the same settings, and the original is untouched', () => {
    const status = text().notNull().default('active')
    const narrowed = status.$type<'active' | 'banned'>()
    expect(narrowed).not.toBe(status)
    expect(narrowed.state).toEqual(status.state)
    const t = table('t', { id: int().primaryKey(), status: narrowed, balance: decimal().notNull().default('0.00') })
    expect(t.status.state).toMatchObject({ kind: 'text', notNull: true, default: { kind: 'value', value: 'active' } })
    expect(t.balance.state).toMatchObject({ kind: 'decimal', notNull: true, default: { kind: 'value', value: '0.00' } })
  })
})
