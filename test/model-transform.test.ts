import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Project } from './helpers.ts'

/**
 * Model files are transformed by Sucrase, or by Babel where Sucrase cannot do it inside jiti's
 * CommonJS wrapper (top-level await, import.meta). Each kind of file must load as it did before.
 */
describe('model files of every kind load', () => {
  const projects: Project[] = []
  afterEach(() => {
    for (const p of projects.splice(0)) p.remove()
  })
  const load = async (files: Record<string, string>) => {
    const p = new Project(files)
    projects.push(p)
    const result = await p.migrate()
    return { p, result }
  }

  it('TypeScript-only syntax: enums, type imports, interfaces, generics, satisfies, non-null assertions', async () => {
    const { p, result } = await load({
      'model/kinds.ts': "export enum Kind { A = 'a', B = 'b' }\nexport interface Shape { size: number }\nexport type Pair<T> = [T, T]\n",
      'model/items.ts': `import { table, int, text } from 'migrate-plugin/model'
import type { Shape, Pair } from './kinds.ts'
import { Kind } from './kinds.ts'
const sizes: Pair<number> = [1, 2]
const shape = { size: sizes[0]! } satisfies Shape
export const items = table('items', {
  id: int().primaryKey(),
  kind: text().notNull().default(Kind.A as string),
  size: int().default(shape.size),
})
`,
    })
    expect(result.outcome).toBe('applied')
    expect(p.columns('items')).toEqual(['id', 'kind', 'size'])
    expect(p.all<{ dflt_value: string }>("SELECT dflt_value FROM pragma_table_info('items') WHERE name = 'kind'")[0]!.dflt_value).toBe("'a'")
  })

  it('top-level await and import.meta (the Babel route)', async () => {
    const { p, result } = await load({
      'model/widths.json': '{ "default": 7 }',
      'model/items.ts': `import { readFileSync } from 'node:fs'
import { table, int } from 'migrate-plugin/model'
const config = JSON.parse(readFileSync(new URL('./widths.json', import.meta.url), 'utf8'))
const width = await Promise.resolve(config.default as number)
export const items = table('items', {
  id: int().primaryKey(),
  width: int().notNull().default(width),
})
`,
    })
    expect(result.outcome).toBe('applied')
    expect(p.all<{ dflt_value: string }>("SELECT dflt_value FROM pragma_table_info('items') WHERE name = 'width'")[0]!.dflt_value).toBe('7')
  })

  it('a plain ES module .js model file and a CommonJS helper it imports', async () => {
    const { p, result } = await load({
      'lib/names.cjs': "module.exports = { tableName: 'things' }\n",
      'model/things.js': `import { table, int, text } from 'migrate-plugin/model'
import names from '../lib/names.cjs'
export const things = table(names.tableName, { id: int().primaryKey(), label: text() })
`,
    })
    expect(result.outcome).toBe('applied')
    expect(p.columns('things')).toEqual(['id', 'label'])
  })

  it('namespaces, using declarations and decorators (which Sucrase would miscompile) load through Babel', async () => {
    const { p, result } = await load({
      'model/items.ts': `import { table, int, text } from 'migrate-plugin/model'
namespace Defaults { export const label = 'none' }
function logged(_target: unknown, _context: unknown) {}
class Marker { @logged method() {} }
{ using scope = { [Symbol.dispose ?? Symbol.for('Symbol.dispose')]() {} } }
export const items = table('items', {
  id: int().primaryKey(),
  label: text().notNull().default(Defaults.label),
  marker: text().default(typeof Marker),
})
`,
    })
    expect(result.outcome).toBe('applied')
    expect(p.all<{ name: string, dflt_value: string }>("SELECT name, dflt_value FROM pragma_table_info('items') WHERE name IN ('label', 'marker') ORDER BY name")).toEqual([{ name: 'label', dflt_value: "'none'" }, { name: 'marker', dflt_value: "'function'" }])
  })

  it('transformed model code is cached in the project, never in the shared temporary folder', async () => {
    const unique = `secretive_${process.pid}_${Date.now()}`
    const p = new Project({ [`model/${unique}.ts`]: "import { table, int } from 'migrate-plugin/model'\nexport const t = table('t', { id: int().primaryKey() })\n" })
    projects.push(p)
    mkdirSync(join(p.root, 'node_modules'))
    expect((await p.migrate()).outcome).toBe('applied')
    const cached = readdirSync(join(p.root, 'node_modules', '.cache', 'jiti'))
    expect(cached.some((name) => name.includes(unique))).toBe(true)
    const shared = join(tmpdir(), 'jiti')
    expect(existsSync(shared) ? readdirSync(shared).filter((name) => name.includes(unique)) : []).toEqual([])
  })

  it('an error thrown on the first line names its column in the source, as on any other line', () => {
    const p = new Project({ 'model/first.ts': "export const a = 1; throw new Error('first line')\nexport const b = 2\n" })
    projects.push(p)
    const r = p.cli(['apply'])
    expect(r.code).toBe(1)
    // `new` starts at column 27 of line 1; jiti's wrapper function sits on that line too.
    expect(r.stderr).toContain('model/first.ts:1:27: the model file failed to load: first line')
  })

  it('a syntax error names the file and line, whichever transform met it', async () => {
    const p = new Project({ 'model/broken.ts': "import { table, int } from 'migrate-plugin/model'\n\nexport const t = table('t', { id: int().primaryKey( })\n" })
    projects.push(p)
    const r = p.cli(['apply'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/model\/broken\.ts:3\b/)
  })
})
