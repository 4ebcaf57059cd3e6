import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { REPO, cleanEnv } from './helpers.ts'

/** As a user would: pack the package, install the tarball into an empty project, write TS models, apply. */
describe('packaging', () => {
  const made: string[] = []
  const temporary = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix))
    made.push(dir)
    return dir
  }
  afterAll(() => { for (const dir of made) rmSync(dir, { recursive: true, force: true }) })

  it('npm pack → npm install → npx migrate-plugin apply in a fresh project', () => {
    const out = temporary('mp-pack-')
    const env = { ...cleanEnv(), npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' }
    execFileSync('npm', ['pack', '--pack-destination', out], { cwd: REPO, env, stdio: 'pipe' })
    const tarball = readdirSync(out).find((f) => f.endsWith('.tgz'))!
    expect(tarball).toMatch(/^migrate-plugin-\d+\.\d+\.\d+\.tgz$/)
    const listing = execFileSync('tar', ['-tzf', join(out, tarball)], { encoding: 'utf8' })
    expect(listing).toContain('package/dist/cli.js')
    expect(listing).toContain('package/dist/model.d.ts')
    expect(listing).not.toContain('package/test/')

    const app = temporary('mp-app-')
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }))
    execFileSync('npm', ['install', '--prefer-offline', '--no-package-lock', join(out, tarball)], { cwd: app, env, stdio: 'pipe', timeout: 600_000 })
    mkdirSync(join(app, 'model'))
    writeFileSync(join(app, 'model', 'shop.ts'), `import { table, int, text, real, type InferRow } from 'migrate-plugin/model'

export const products = table('products', {
  id: int().primaryKey({ autoIncrement: true }),
  name: text().notNull(),
  price: real().notNull().default(0),
})
export type Product = InferRow<typeof products>
`)
    writeFileSync(join(app, 'migration.conf'), '[database]\nurl = sqlite:///./shop.db\n')
    const applied = execFileSync('npx', ['migrate-plugin', 'apply'], { cwd: app, env, encoding: 'utf8' })
    expect(applied).toMatch(/applied 1 change\(s\) to shop\.db/)
    const db = new Database(join(app, 'shop.db'), { readonly: true })
    expect(db.prepare("SELECT name FROM pragma_table_info('products')").all()).toEqual([{ name: 'id' }, { name: 'name' }, { name: 'price' }])
    db.close()
    expect(execFileSync('npx', ['migrate-plugin', 'check'], { cwd: app, env, encoding: 'utf8' })).toMatch(/nothing to do/)
    expect(existsSync(join(app, 'prisma', 'schema.prisma'))).toBe(true)
  }, 900_000)
})
