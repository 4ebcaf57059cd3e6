import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { PluginOptions } from '../plugin/bundlers/runner.ts'
import { Project, USERS_MODEL } from './helpers.ts'

/** Real builds of a tiny app with each bundler; the plugin runs at build start. */
type Build = (p: Project, options: PluginOptions) => Promise<void>

const builds: Record<string, Build> = {
  async vite(p, options) {
    const { build } = await import('vite')
    const { default: migrate } = await import('../plugin/vite.ts')
    await build({
      root: p.root, logLevel: 'silent', configFile: false, plugins: [migrate(options)],
      build: { outDir: join(p.root, 'dist-vite'), lib: { entry: join(p.root, 'src/index.js'), formats: ['es'], fileName: 'index' } },
    })
  },
  async webpack(p, options) {
    const { default: webpack } = await import('webpack')
    const { default: migrate } = await import('../plugin/webpack.ts')
    await compile((done) => webpack(webpackLikeConfig(p, 'webpack', migrate(options)), done))
  },
  async rspack(p, options) {
    const { rspack } = await import('@rspack/core')
    const { default: migrate } = await import('../plugin/rspack.ts')
    await compile((done) => rspack(webpackLikeConfig(p, 'rspack', migrate(options)) as never, done))
  },
  async esbuild(p, options) {
    const esbuild = await import('esbuild')
    const { default: migrate } = await import('../plugin/esbuild.ts')
    await esbuild.build({ absWorkingDir: p.root, entryPoints: ['src/index.js'], bundle: true, outdir: join(p.root, 'dist-esbuild'), logLevel: 'silent', plugins: [migrate(options)] })
  },
  async rollup(p, options) {
    const { rollup } = await import('rollup')
    const { default: migrate } = await import('../plugin/rollup.ts')
    const bundle = await rollup({ input: join(p.root, 'src/index.js'), plugins: [migrate({ root: p.root, ...options })], onwarn: () => {} })
    await bundle.write({ dir: join(p.root, 'dist-rollup') })
    await bundle.close()
  },
  async rolldown(p, options) {
    const { rolldown } = await import('rolldown')
    const { default: migrate } = await import('../plugin/rolldown.ts')
    const bundle = await rolldown({ input: join(p.root, 'src/index.js'), plugins: [migrate({ root: p.root, ...options })], logLevel: 'silent' })
    await bundle.write({ dir: join(p.root, 'dist-rolldown') })
    await bundle.close()
  },
}

function webpackLikeConfig(p: Project, name: string, plugin: unknown) {
  return { context: p.root, mode: 'production' as const, entry: './src/index.js', output: { path: join(p.root, `dist-${name}`) }, plugins: [plugin as never] }
}

/** webpack and Rspack report through a callback: an error, or stats with errors. */
function compile(run: (done: (err: Error | null, stats?: { hasErrors(): boolean, toString(o: 'errors-only'): string }) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    run((err, stats) => {
      if (err) return reject(err)
      if (stats?.hasErrors()) return reject(new Error(stats.toString('errors-only')))
      resolve()
    })
  })
}

function app(): Project {
  return new Project({
    'model/users.ts': USERS_MODEL,
    'src/index.js': "export const answer = 42\nconsole.log('app', answer)\n",
  })
}

const withPhone = USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),')

describe.each(Object.entries(builds))('%s', (_name, build) => {
  it('in sync: builds and leaves the database untouched', async () => {
    const p = app()
    await p.migrate()
    const before = p.hash()
    await build(p, {})
    expect(p.hash()).toBe(before)
  })

  it('pending change in check mode: fails naming the change and the fix; the database is unchanged', async () => {
    const p = app()
    await p.migrate()
    p.write('model/users.ts', withPhone)
    const before = p.hash()
    const error = await build(p, { build: 'check' }).then(() => undefined, (e: unknown) => e as Error)
    expect(error, 'the build should fail').toBeDefined()
    expect(String(error?.message ?? error)).toContain('add column users.phone (model/users.ts)')
    expect(String(error?.message ?? error)).toContain('npx migrate-plugin apply')
    expect(p.hash()).toBe(before)
    expect(p.columns('users')).not.toContain('phone')
  })

  it('apply mode: builds and the column exists', async () => {
    const p = app()
    await p.migrate()
    p.write('model/users.ts', withPhone)
    await build(p, { build: 'apply' })
    expect(p.columns('users')).toContain('phone')
  })

  it('a model with an error fails the build naming the file', async () => {
    const p = app()
    p.write('model/broken.ts', "import { table } from 'migrate-plugin/model'\nexport const x = table('x', {\n  id: ,\n})\n")
    const error = await build(p, { build: 'apply' }).then(() => undefined, (e: unknown) => e as Error)
    expect(String(error?.message ?? error)).toMatch(/model\/broken\.ts:3/)
  })
})
