import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { installInto, linkFromRepo, npmEnv, pack, temporaryFolders } from './packed.ts'

/**
 * The packed package in a CommonJS project (package.json without "type", as `npm init -y` wrote it
 * before npm 11): every entry loads through require() and import, and Vite, webpack and Rollup
 * configs written the CommonJS way build, with the plugin migrating the database.
 */

const ENTRIES = ['', '/model', '/vite', '/webpack', '/esbuild', '/rollup', '/rolldown', '/rspack', '/unplugin']
const BUNDLER_ENTRIES = ['vite', 'webpack', 'esbuild', 'rollup', 'rolldown', 'rspack']

const MODEL = `import { table, int, text } from 'migrate-plugin/model'

export const products = table('products', {
  id: int().primaryKey({ autoIncrement: true }),
  name: text().notNull(),
})
`

describe('a CommonJS project', () => {
  const folders = temporaryFolders()
  let app = ''

  beforeAll(() => {
    const work = folders.make('mp-cjs-')
    app = join(work, 'app')
    installInto(app, pack(work))
    // The native addon and the bundlers come from the repository's install (see packed.ts).
    linkFromRepo(app, 'better-sqlite3', 'vite', 'webpack', 'rollup')
    mkdirSync(join(app, 'model'))
    writeFileSync(join(app, 'model', 'shop.ts'), MODEL)
    mkdirSync(join(app, 'src'))
    writeFileSync(join(app, 'src', 'index.js'), "console.log('shop')\n")
    writeFileSync(join(app, 'index.html'), '<script type="module" src="/src/index.js"></script>\n')
  }, 300_000)
  afterAll(() => folders.removeAll())

  /** Runs node in the project; the run must succeed and print nothing on stderr (no ExperimentalWarning either). */
  const node = (args: string[]) => {
    const run = spawnSync(process.execPath, args, { cwd: app, env: npmEnv(), encoding: 'utf8', timeout: 120_000 })
    expect(run.stderr, `node ${args.join(' ')}`).toBe('')
    expect(run.status, `node ${args.join(' ')}\n${run.stdout}`).toBe(0)
    return run.stdout
  }

  const tables = (file: string) => {
    const db = new Database(join(app, file), { readonly: true })
    try {
      return db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all()
    } finally {
      db.close()
    }
  }

  it('require() loads every entry, and a bundler entry gives the plugin itself (and as .default)', () => {
    writeFileSync(join(app, 'require-all.js'), `
const report = {}
for (const entry of ${JSON.stringify(ENTRIES)}) report[entry] = Object.keys(require('migrate-plugin' + entry)).sort()
for (const name of ${JSON.stringify(BUNDLER_ENTRIES)}) {
  const plugin = require('migrate-plugin/' + name)
  const made = plugin({ quiet: true })
  report[name] = [typeof plugin, plugin.default === undefined ? 'no default' : typeof plugin.default, typeof made, made.name ?? typeof made.apply]
}
const { unplugin } = require('migrate-plugin/unplugin')
report.unplugin = Object.keys(unplugin).sort()
const { migrate, MigrateError } = require('migrate-plugin')
const { table, int } = require('migrate-plugin/model')
report.api = [typeof migrate, typeof MigrateError, typeof table, typeof int]
console.log(JSON.stringify(report))
`)
    const report = JSON.parse(node(['require-all.js'])) as Record<string, string[]>
    expect(report['']).toEqual(expect.arrayContaining(['migrate', 'status', 'history', 'backups', 'restore', 'generate', 'loadConfig', 'MigrateError', 'table', 'int', 'text']))
    expect(report['/model']).toEqual(expect.arrayContaining(['table', 'int', 'text', 'index', 'enumType']))
    for (const name of ['vite', 'rollup', 'rolldown', 'esbuild']) expect(report[name], name).toEqual(['function', 'function', 'object', 'migrate-plugin'])
    for (const name of ['webpack', 'rspack']) expect(report[name], name).toEqual(['function', 'function', 'object', 'function'])
    expect(report.unplugin).toEqual(expect.arrayContaining(['vite', 'webpack', 'rollup', 'rolldown', 'rspack', 'esbuild', 'raw']))
    expect(report.api).toEqual(['function', 'function', 'function', 'function'])
  })

  it('import from an ES module in the same project gets the same entries, default export included', () => {
    writeFileSync(join(app, 'import-all.mjs'), `
const report = {}
for (const entry of ${JSON.stringify(ENTRIES)}) report[entry] = Object.keys(await import('migrate-plugin' + entry)).sort()
for (const name of ${JSON.stringify(BUNDLER_ENTRIES)}) report[name] = typeof (await import('migrate-plugin/' + name)).default({ quiet: true })
console.log(JSON.stringify(report))
`)
    const report = JSON.parse(node(['import-all.mjs'])) as Record<string, string[] | string>
    expect(report['']).toEqual(expect.arrayContaining(['migrate', 'table']))
    expect(report['/model']).toEqual(expect.arrayContaining(['table', 'int']))
    for (const name of BUNDLER_ENTRIES) {
      expect(report[`/${name}`], name).toContain('default')
      expect(report[name], name).toBe('object')
    }
  })

  it("vite build with the README's vite.config.ts (Vite bundles it as CommonJS) migrates the database", () => {
    writeFileSync(join(app, 'vite.config.ts'), `import migrate from 'migrate-plugin/vite'
export default { plugins: [migrate({ build: 'apply', databaseUrl: 'sqlite:///./vite.db' })], logLevel: 'warn', build: { outDir: 'dist-vite' } }
`)
    const run = spawnSync(process.execPath, [join(app, 'node_modules', 'vite', 'bin', 'vite.js'), 'build'], {
      cwd: app, env: { ...npmEnv(), VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' }, encoding: 'utf8', timeout: 120_000,
    })
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/ESM only|require/i)
    expect(run.status, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/migrate-plugin: created table products \(model\/shop\.ts\)/)
    expect(tables('vite.db')).toEqual(['_migration_history', 'products'])
  })

  it('webpack with a CommonJS webpack.config.js that require()s the plugin migrates the database', () => {
    writeFileSync(join(app, 'webpack.config.js'), `const { join } = require('node:path')
const migrate = require('migrate-plugin/webpack')
module.exports = {
  mode: 'production', context: __dirname, entry: './src/index.js', output: { path: join(__dirname, 'dist-webpack') },
  plugins: [migrate({ build: 'apply', databaseUrl: 'sqlite:///./webpack.db' })],
}
`)
    // webpack-cli is not installed here: its loading of a CommonJS config is a plain require().
    writeFileSync(join(app, 'build-webpack.js'), `const webpack = require('webpack')
webpack(require('./webpack.config.js'), (error, stats) => {
  if (error || stats.hasErrors()) { console.log(String(error ?? stats.toString('errors-only'))); process.exit(1) }
  console.log('webpack done')
})
`)
    expect(node(['build-webpack.js'])).toMatch(/migrate-plugin: created table products[\s\S]*webpack done/)
    expect(tables('webpack.db')).toEqual(['_migration_history', 'products'])
  })

  it('rollup -c with a CommonJS rollup.config.js, and with an import-syntax one bundled as CommonJS, migrates the database', () => {
    const rollup = join(app, 'node_modules', 'rollup', 'dist', 'bin', 'rollup')
    writeFileSync(join(app, 'rollup.config.js'), `const migrate = require('migrate-plugin/rollup')
module.exports = { input: 'src/index.js', output: { dir: 'dist-rollup' }, plugins: [migrate({ build: 'apply', databaseUrl: 'sqlite:///./rollup.db' })] }
`)
    const first = spawnSync(process.execPath, [rollup, '-c', '--silent'], { cwd: app, env: npmEnv(), encoding: 'utf8', timeout: 120_000 })
    expect(first.status, first.stderr).toBe(0)
    expect(tables('rollup.db')).toEqual(['_migration_history', 'products'])

    // Rollup's own advice for import syntax in a CommonJS project: the config is bundled to CommonJS, which require()s the entry.
    writeFileSync(join(app, 'rollup.config.js'), `import migrate from 'migrate-plugin/rollup'
export default { input: 'src/index.js', output: { dir: 'dist-rollup-esm' }, plugins: [migrate({ build: 'apply', databaseUrl: 'sqlite:///./rollup-esm.db' })] }
`)
    const second = spawnSync(process.execPath, [rollup, '-c', '--bundleConfigAsCjs', '--silent'], { cwd: app, env: npmEnv(), encoding: 'utf8', timeout: 120_000 })
    expect(second.status, second.stderr).toBe(0)
    expect(tables('rollup-esm.db')).toEqual(['_migration_history', 'products'])
  })

  it('the installed bin runs from the CommonJS project', () => {
    writeFileSync(join(app, 'migration.conf'), '[database]\nurl = sqlite:///./cli.db\n')
    const bin = join(app, 'node_modules', '.bin', 'migrate-plugin')
    expect(execFileSync(bin, ['apply'], { cwd: app, env: npmEnv(), encoding: 'utf8' })).toMatch(/applied 1 change\(s\) to cli\.db/)
    expect(execFileSync(bin, ['check'], { cwd: app, env: npmEnv(), encoding: 'utf8' })).toMatch(/nothing to do/)
    expect(tables('cli.db')).toEqual(['_migration_history', 'products'])
  })
})
