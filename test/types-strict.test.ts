import { spawnSync } from 'node:child_process'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import type * as config from '../plugin/core/config.ts'
import type * as inspect from '../plugin/pipeline/inspect.ts'
import type * as pipeline from '../plugin/pipeline/migrate.ts'
import type * as runner from '../plugin/bundlers/runner.ts'
import type * as shipped from '../plugin/types.ts'
import { REPO } from './helpers.ts'
import { installInto, linkFromRepo, pack, temporaryFolders, typesFoldersAbove } from './packed.ts'

/**
 * The shipped types in a user's strict project: skipLibCheck off, no @types at all (no @types/node,
 * no @types/better-sqlite3), no bundler installed. The projects live outside the repository, which
 * would otherwise lend them its node_modules/@types.
 */

const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc')

const STRICT = { strict: true, skipLibCheck: false, types: [], noEmit: true, target: 'es2022', lib: ['es2022'], noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true }

/** Uses every entry the way the README does; `@ts-expect-error` lines prove the types are not `any`. */
const MODEL = `import { table, int, text, real, boolean, datetime, json, bytes, enumType, index, type InferRow } from 'migrate-plugin/model'

export const role = enumType('Role', ['member', 'admin'])
export const users = table('users', {
  id: int().primaryKey({ autoIncrement: true }),
  email: text().notNull().unique(),
  name: text(),
  balance: real().notNull().default(0),
  active: boolean().notNull().default(true),
  role: role().notNull().default('member'),
  createdAt: datetime().notNull().defaultNow(),
  settings: json(),
  avatar: bytes(),
})
export const posts = table('posts', {
  id: int().primaryKey({ autoIncrement: true }),
  authorId: int().notNull().references(() => users.id, { onDelete: 'cascade' }),
}, (t) => [index(t.authorId)])
export type User = InferRow<typeof users>

export const email = (user: User): string => user.email
export const name = (user: User): string | null => user.name
export const id = (user: User): number => user.id
// @ts-expect-error email is a string column, not a number
export const wrong = (user: User): number => user.email
// @ts-expect-error name is nullable
export const notNull = (user: User): string => user.name
`

const CONFIG = `import vite from 'migrate-plugin/vite'
import webpack from 'migrate-plugin/webpack'
import rspack from 'migrate-plugin/rspack'
import esbuild from 'migrate-plugin/esbuild'
import rollup from 'migrate-plugin/rollup'
import rolldown from 'migrate-plugin/rolldown'
import { unplugin, type PluginOptions } from 'migrate-plugin/unplugin'

const options: PluginOptions = { config: './migration.conf', dev: 'apply', build: 'check', allowDataLoss: false, watch: true }
export default { plugins: [vite(), vite(options)] }
export const webpackConfig = { plugins: [webpack(), rspack({ quiet: false })] }
export const esbuildPlugins = [esbuild({ watch: true })]
export const rollupConfig = { input: 'src/index.js', plugins: [rollup(), rolldown(), unplugin.vite()] }
export const name: string = vite().name
// @ts-expect-error not a mode
vite({ build: 'sometimes' })
`

const API = `import { migrate, plan, apply, status, history, backups, restore, generate, loadConfig, MigrateError, CONFIG_KEYS, DEFAULTS, MODES, table, int,
  type MigrateResult, type HistoryRecord, type ErrorCode, type Plan } from 'migrate-plugin'

export async function run(): Promise<string> {
  const result: MigrateResult = await migrate({ root: '.', command: 'check', env: { CI: '1' }, confirm: async (plan: Plan) => plan.steps.length < 3 })
  const report = await status({ root: '.' })
  const last: HistoryRecord | undefined = (await history({ limit: 1 })).entries[0]
  const planned = await plan({ root: '.' })
  const applied: MigrateResult | undefined = planned.outcome === 'pending' ? await apply(planned, { root: '.' }) : undefined
  const files = backups({}).backups.map((b) => b.createdAt.toISOString())
  const restored = await restore({ backup: 'x', yes: true })
  const generated = await generate({})
  const config = loadConfig({ root: '.' })
  try {
    throw new MigrateError('CONFIG', 'bad', { hint: 'fix it' })
  } catch (error) {
    if (error instanceof MigrateError) { const code: ErrorCode = error.code; void code }
  }
  void table('t', { id: int().primaryKey() })
  return [result.outcome, applied?.outcome, report.databaseExists, last?.status, files, restored.restored.name, generated.path, config.databasePath,
    CONFIG_KEYS.length, DEFAULTS.dev, MODES.join()].join()
}
`

/** A CommonJS TypeScript file: require() of the ES entries, typed (TypeScript ≥ 5.8, module nodenext). */
const COMMONJS = `import migrate = require('migrate-plugin/webpack')
import model = require('migrate-plugin/model')
import vite from 'migrate-plugin/vite'

export const plugins = [migrate({ build: 'apply' }), migrate.default(), vite()]
export const t = model.table('t', { id: model.int().primaryKey() })
`

describe('the shipped types in a strict project without @types', () => {
  const folders = temporaryFolders()
  let app = ''

  beforeAll(() => {
    const work = folders.make('mp-types-')
    app = join(work, 'app')
    installInto(app, pack(work), { type: 'module' })
    for (const [file, text] of Object.entries({ 'model.ts': MODEL, 'vite.config.ts': CONFIG, 'api.ts': API, 'legacy.cts': COMMONJS })) writeFileSync(join(app, file), text)
  }, 300_000)
  afterAll(() => folders.removeAll())

  const tsc = (project: string, ...extra: string[]) => {
    const run = spawnSync(process.execPath, [TSC, '-p', project, ...extra], { cwd: app, encoding: 'utf8', timeout: 120_000 })
    return { code: run.status, output: `${run.stdout}${run.stderr}` }
  }
  const project = (name: string, compilerOptions: Record<string, unknown>, files: string[]) => {
    writeFileSync(join(app, name), JSON.stringify({ compilerOptions: { ...STRICT, ...compilerOptions }, files }, null, 2))
    return name
  }

  it('no @types folder is within reach of the project', () => {
    expect(typesFoldersAbove(app)).toEqual([])
  })

  it('every entry type-checks under module nodenext (ES and CommonJS files), and pulls in no other package', () => {
    const run = tsc(project('tsconfig.json', { module: 'nodenext', moduleResolution: 'nodenext' }, ['model.ts', 'vite.config.ts', 'api.ts', 'legacy.cts']), '--listFiles')
    const listed = run.output.trim().split('\n')
    expect(listed.filter((line) => !line.startsWith('/'))).toEqual([])
    expect(run.code).toBe(0)
    // The declarations reached are the package's own: no unplugin, bundler, Node or better-sqlite3 types.
    const others = listed.filter((file) => !file.includes('/typescript/lib/') && !relative(app, file).startsWith('node_modules/migrate-plugin/') && !/^[\w.-]+\.c?ts$/.test(relative(app, file)))
    expect(others).toEqual([])
    expect(listed).toContain(join(app, 'node_modules', 'migrate-plugin', 'dist', 'vite.d.ts'))
    expect(listed).toContain(join(app, 'node_modules', 'migrate-plugin', 'dist', 'index.d.ts'))
  })

  it("type-checks with Vite's template settings (module esnext, moduleResolution bundler)", () => {
    const run = tsc(project('tsconfig.bundler.json', { module: 'esnext', moduleResolution: 'bundler' }, ['model.ts', 'vite.config.ts', 'api.ts']))
    expect(run.output).toBe('')
    expect(run.code).toBe(0)
  })

  it('type-checks with the old node10 resolution (module commonjs), which reads typesVersions', () => {
    const run = tsc(project('tsconfig.node10.json', { module: 'commonjs', moduleResolution: 'node10', ignoreDeprecations: '5.0' }, ['model.ts', 'vite.config.ts', 'api.ts']))
    expect(run.output).toBe('')
    expect(run.code).toBe(0)
  })

  it("the bundler entries' plugins fit each bundler's own config types", () => {
    // A second project, where the bundlers (and, for their own types, @types/node) are installed.
    const withBundlers = folders.make('mp-types-bundlers-')
    writeFileSync(join(withBundlers, 'package.json'), JSON.stringify({ name: 'with-bundlers', private: true, type: 'module' }))
    mkdirSync(join(withBundlers, 'node_modules'))
    symlinkSync(join(app, 'node_modules', 'migrate-plugin'), join(withBundlers, 'node_modules', 'migrate-plugin'))
    linkFromRepo(withBundlers, 'vite', 'webpack', 'rollup', 'rolldown', 'esbuild', '@rspack/core', '@types/node')
    writeFileSync(join(withBundlers, 'configs.ts'), `import { defineConfig } from 'vite'
import type { Configuration } from 'webpack'
import type { RollupOptions } from 'rollup'
import type { RolldownOptions } from 'rolldown'
import type { RspackOptions } from '@rspack/core'
import { context, type BuildOptions } from 'esbuild'
import vite from 'migrate-plugin/vite'
import webpack from 'migrate-plugin/webpack'
import rspack from 'migrate-plugin/rspack'
import esbuild from 'migrate-plugin/esbuild'
import rollup from 'migrate-plugin/rollup'
import rolldown from 'migrate-plugin/rolldown'

export const viteConfig = defineConfig({ plugins: [vite({ build: 'apply' })] })
export const webpackConfig: Configuration = { plugins: [webpack()] }
export const rspackConfig: RspackOptions = { plugins: [rspack()] }
export const rollupConfig: RollupOptions = { plugins: [rollup()] }
export const rolldownConfig: RolldownOptions = { plugins: [rolldown()] }
export const esbuildOptions: BuildOptions = { plugins: [esbuild({ watch: true })] }
export const watching = context({ plugins: [esbuild(), { name: 'own', setup(build) { build.onEnd(() => undefined) } }] })
`)
    writeFileSync(join(withBundlers, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...STRICT, module: 'nodenext', moduleResolution: 'nodenext', skipLibCheck: true, types: ['node'], lib: ['es2023', 'dom'] }, files: ['configs.ts'] }))
    const run = tsc(join(withBundlers, 'tsconfig.json'))
    expect(run.output).toBe('')
    expect(run.code).toBe(0)
  })
})

/**
 * plugin/types.ts spells the public types out again (see there); index.ts checks that the functions
 * fit them, and this checks, when `tsc --noEmit` runs over the tests, that no field was added to
 * or dropped from one side only. The differences are deliberate: `env` is a plain record (not
 * NodeJS.ProcessEnv), and migrate()'s internal options (confirmedSql, prepared, planFile, …) are not public.
 */
describe('the public types match the ones the code uses', () => {
  it('field for field', () => {
    expectTypeOf<shipped.ResolvedConfig>().toEqualTypeOf<config.ResolvedConfig>()
    expectTypeOf<shipped.ConfigOverrides>().toEqualTypeOf<config.ConfigOverrides>()
    expectTypeOf<shipped.ConfigKey>().toEqualTypeOf<(typeof config.CONFIG_KEYS)[number]>()
    expectTypeOf<Omit<shipped.LoadConfigOptions, 'env'>>().toEqualTypeOf<Omit<config.LoadConfigOptions, 'env'>>()
    expectTypeOf<shipped.PluginOptions>().toEqualTypeOf<runner.PluginOptions>()
    expectTypeOf<Omit<shipped.MigrateOptions, 'env'>>().toEqualTypeOf<Omit<pipeline.MigrateOptions, 'env' | 'confirmedSql' | 'prepared' | 'acceptedLoss' | 'confirmingDataLoss' | 'confirmedSteps' | 'planFile' | 'skipAppliedPlan' | 'pendingPlans' | 'onSession'>>()
    expectTypeOf<shipped.MigrateResult>().toEqualTypeOf<pipeline.MigrateResult>()
    expectTypeOf<Omit<shipped.CommonOptions, 'env'>>().toEqualTypeOf<Omit<inspect.CommonOptions, 'env'>>()
    expectTypeOf<shipped.StatusReport>().toEqualTypeOf<inspect.StatusReport>()
    expectTypeOf<Omit<shipped.RestoreOptions, 'env'>>().toEqualTypeOf<Omit<inspect.RestoreOptions, 'env'>>()
    expectTypeOf<shipped.RestoreResult>().toEqualTypeOf<inspect.RestoreResult>()
    expectTypeOf<shipped.GenerateResult>().toEqualTypeOf<Awaited<ReturnType<typeof inspect.generate>>>()
    // The shipped env type takes what process.env is.
    expectTypeOf<NodeJS.ProcessEnv>().toExtend<shipped.Environment>()
  })
})
