import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import type { PluginOptions } from '../plugin/bundlers/runner.ts'
import { POSTS_MODEL, Project, USERS_MODEL } from './helpers.ts'

/**
 * Watch mode of every bundler, live: the watcher starts, a saved model file is applied while it
 * keeps running, a broken one is reported and does not stop it, and the fix is applied.
 * `dev: 'apply'` is explicit because CI=true turns the default into `check`.
 */
interface Watching {
  /** Error texts the bundler reported for its builds so far. */
  errors: string[]
  /** Completed builds (successful or not). */
  builds: () => number
  stop: () => Promise<void>
}

type StartWatch = (p: Project, options: PluginOptions) => Promise<Watching>

/** Counts finished builds, successful or not, and keeps their error texts. */
function recorder() {
  const errors: string[] = []
  let builds = 0
  return {
    done(...texts: string[]) {
      errors.push(...texts)
      builds++
    },
    watching: (stop: () => Promise<void>): Watching => ({ errors, builds: () => builds, stop }),
  }
}

type Recorder = ReturnType<typeof recorder>

/** Rollup, Rolldown and Vite 8's `build --watch` report each build as an `event`. */
function rollupEvents(r: Recorder) {
  return (event: { code: string, error?: unknown, result?: { close(): Promise<void> } | null }) => {
    if (event.code === 'ERROR') {
      r.done(String((event.error as Error).message ?? event.error))
      void event.result?.close()
    }
    if (event.code === 'BUNDLE_END') {
      r.done()
      void event.result?.close()
    }
  }
}

/** webpack and Rspack call back once per build. */
function compilerCallback(r: Recorder) {
  return (err: Error | null, stats?: { hasErrors(): boolean, toString(options: 'errors-only'): string }) => {
    if (err) r.done(err.message)
    else if (stats?.hasErrors()) r.done(stats.toString('errors-only'))
    else r.done()
  }
}

const watchers: Record<string, StartWatch> = {
  async rollup(p, options) {
    const { watch } = await import('rollup')
    const { default: migrate } = await import('../plugin/rollup.ts')
    const r = recorder()
    const watcher = watch({ input: join(p.root, 'src/index.js'), plugins: [migrate(options)], output: { dir: join(p.root, 'dist') }, onwarn: () => {}, watch: { buildDelay: 20 } })
    watcher.on('event', rollupEvents(r))
    return r.watching(() => watcher.close())
  },
  async rolldown(p, options) {
    const { watch } = await import('rolldown')
    const { default: migrate } = await import('../plugin/rolldown.ts')
    const r = recorder()
    const watcher = watch({ input: join(p.root, 'src/index.js'), plugins: [migrate(options)], output: { dir: join(p.root, 'dist') }, logLevel: 'silent' })
    watcher.on('event', rollupEvents(r))
    return r.watching(() => watcher.close())
  },
  async vite(p, options) {
    const { build } = await import('vite')
    const { default: migrate } = await import('../plugin/vite.ts')
    const r = recorder()
    const watcher = await build({
      root: p.root, logLevel: 'silent', configFile: false, plugins: [migrate(options)],
      build: { watch: {}, outDir: join(p.root, 'dist'), lib: { entry: join(p.root, 'src/index.js'), formats: ['es'], fileName: 'index' } },
    }) as import('rolldown').RolldownWatcher // Vite 8 builds with Rolldown
    watcher.on('event', rollupEvents(r))
    return r.watching(() => watcher.close())
  },
  async webpack(p, options) {
    const { default: webpack } = await import('webpack')
    const { default: migrate } = await import('../plugin/webpack.ts')
    const r = recorder()
    const compiler = webpack({ context: p.root, mode: 'development', entry: './src/index.js', output: { path: join(p.root, 'dist') }, plugins: [migrate(options)] })
    const watching = compiler.watch({ aggregateTimeout: 20 }, compilerCallback(r))
    return r.watching(() => new Promise<void>((resolve) => watching ? watching.close(() => resolve()) : resolve()))
  },
  async rspack(p, options) {
    const { rspack } = await import('@rspack/core')
    const { default: migrate } = await import('../plugin/rspack.ts')
    const r = recorder()
    const compiler = rspack({ context: p.root, mode: 'development', entry: './src/index.js', output: { path: join(p.root, 'dist') }, plugins: [migrate(options) as never] })
    const watching = compiler.watch({ aggregateTimeout: 20 }, compilerCallback(r))
    return r.watching(() => new Promise<void>((resolve) => watching ? watching.close(() => resolve()) : resolve()))
  },
  async esbuild(p, options) {
    const esbuild = await import('esbuild')
    const { default: migrate } = await import('../plugin/esbuild.ts')
    const r = recorder()
    const context = await esbuild.context({
      absWorkingDir: p.root, entryPoints: ['src/index.js'], bundle: true, outdir: join(p.root, 'dist'), logLevel: 'silent',
      plugins: [migrate({ ...options, watch: true }), {
        name: 'record',
        setup(build) {
          build.onEnd((result: { errors: { text: string }[] }) => r.done(...result.errors.map((e) => e.text)))
        },
      }],
    })
    await context.watch()
    return r.watching(() => context.dispose())
  },
}

async function until(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`)
    await sleep(50)
  }
}

const withPhone = USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),')
const withPhoneAndCity = withPhone.replace('phone: text(),', 'phone: text(),\n  city: text(),')

let running: Watching | undefined
afterEach(async () => {
  await running?.stop()
  running = undefined
})

describe.each(Object.entries(watchers))('%s watch mode', (name, start) => {
  it('applies a saved model change while watching; a broken model is reported and the fix applied; new model files and imported helpers too', async () => {
    const p = new Project({ 'model/users.ts': USERS_MODEL, 'src/index.js': "export const answer = 42\n" })
    running = await start(p, { root: p.root, dev: 'apply' })
    const w = running
    await until(`${name}: the first build`, () => w.builds() >= 1)
    expect(w.errors).toEqual([])
    expect(p.columns('users')).toContain('email')
    // As a user works: save, then let that rebuild finish before the next save.
    const step = async (what: string, edit: () => void, done: () => boolean) => {
      const builds = w.builds()
      edit()
      await until(`${name}: ${what}`, () => done() && w.builds() > builds)
    }

    // Saving a model file: the watcher rebuilds, the plugin applies, nobody restarts anything.
    await step('users.phone in the database', () => p.write('model/users.ts', withPhone), () => p.columns('users').includes('phone'))

    // A broken model: the rebuild fails naming the file, the database is left alone, the watcher lives on.
    const before = p.hash()
    await step('the error to be reported', () => p.write('model/users.ts', withPhone.replace('phone: text(),', 'phone: ,')),
      () => w.errors.some((e) => /model\/users\.ts:\d+/.test(e)))
    expect(p.hash()).toBe(before)

    // The fix (with one more column) is applied by the same watcher.
    await step('users.city in the database', () => p.write('model/users.ts', withPhoneAndCity), () => p.columns('users').includes('city'))

    // A new model file, in a new folder under the watched one, is picked up too.
    await step('the posts table', () => p.write('model/blog/posts.ts', POSTS_MODEL.replace("'./users.ts'", "'../users.ts'")), () => p.tables().includes('posts'))

    // A helper the models import from outside model/ is watched as well, from the build that first loaded it.
    await step('the notes table', () => { p.write('shared/audit.ts', AUDIT(false)); p.write('model/notes.ts', NOTES) }, () => p.tables().includes('notes'))
    await step('notes.updatedBy in the database', () => p.write('shared/audit.ts', AUDIT(true)), () => p.columns('notes').includes('updatedBy'))
  }, 90_000)
})

const AUDIT = (more: boolean) => `import { text } from 'migrate-plugin/model'\nexport const audit = () => ({ createdBy: text(),${more ? ' updatedBy: text(),' : ''} })\n`
const NOTES = "import { table, int } from 'migrate-plugin/model'\nimport { audit } from '../shared/audit.ts'\nexport const notes = table('notes', { id: int().primaryKey(), ...audit() })\n"

describe('vite dev server', () => {
  it('watches a helper the models import from outside model/', async () => {
    const { createServer } = await import('vite')
    const { default: migrate } = await import('../plugin/vite.ts')
    const p = new Project({ 'model/notes.ts': NOTES, 'shared/audit.ts': AUDIT(false), 'index.html': '<p>hi</p>' })
    const server = await createServer({ root: p.root, configFile: false, logLevel: 'silent', server: { port: 0 }, plugins: [migrate({ dev: 'apply' })] })
    running = { errors: [], builds: () => 0, stop: () => server.close() }
    await server.listen()
    await until('the notes table', () => p.tables().includes('notes'))
    // The helper is watched once the run that first loaded it has ended.
    await until('the helper to be watched', () => (server.watcher.getWatched()[join(p.root, 'shared')] ?? []).includes('audit.ts'))
    p.write('shared/audit.ts', AUDIT(true))
    await until('notes.updatedBy in the database', () => p.columns('notes').includes('updatedBy'))
  }, 60_000)
})
