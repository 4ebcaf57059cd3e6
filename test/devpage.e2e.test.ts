import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import type { ViteDevServer } from 'vite'
import { startServer } from './devpage-server.ts'
import { Project, REPO, until } from './helpers.ts'

const CHROMIUM = '/usr/bin/chromium'

/**
 * The page at /__migrate/ in headless Chromium, on a copy of the playground's project: one dev
 * server and one browser for the whole story, each step starting where the one before left off.
 */
describe.runIf(existsSync(CHROMIUM))('the migrate page in a real browser', () => {
  let p: Project
  let server: ViteDevServer
  let port: number
  let browser: Browser
  let page: Page
  let users: string

  beforeAll(async () => {
    // Inside the repository, so that the project finds `migrate-plugin` and `@prisma/client`.
    mkdirSync(join(REPO, '.tmp-tests'), { recursive: true })
    p = new Project()
    Object.defineProperty(p, 'root', { value: mkdtempSync(join(REPO, '.tmp-tests', 'devpage-')) })
    cpSync(join(REPO, 'model'), join(p.root, 'model'), { recursive: true })
    writeFileSync(join(p.root, 'migration.conf'), readFileSync(join(REPO, 'migration.conf'), 'utf8'))
    mkdirSync(join(p.root, 'backups'))
    users = join(p.root, 'model/users.ts')
    // The plugin as the tests import it, not through the playground's vite.config.ts: Vite bundles a
    // config file into a module of its own, and a second copy of the plugin in this process would
    // instantiate the engine's wasm a second time (plugin/engine/wasm.ts keeps it per module copy),
    // which breaks the first. scripts/screenshot-devpage.mjs shows the playground's own page, in a
    // process of its own.
    ;({ server, port } = await startServer(p.root, { dev: 'apply' }))
    const { chromium } = await import('playwright-core')
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    await page.goto(`http://127.0.0.1:${port}/__migrate/`)
  })

  afterAll(async () => {
    await browser?.close()
    await server?.close()
    p?.remove()
  })

  const table = (name: string) => page.locator(`#diagram .table-box[data-table="${name}"]`)

  it('draws the demo models as a diagram: tables, keys, relations with their onDelete, and a table\'s rows and model file', async () => {
    for (const name of ['users', 'orders', 'order_items', 'products']) await table(name).waitFor()
    expect(await table('orders').locator('.column[data-column="userId"] text.key').textContent()).toBe('FK')
    expect(await table('users').locator('.column[data-column="id"] text.key').textContent()).toBe('PK')
    expect(await table('users').locator('.column[data-column="email"] text.key').textContent()).toBe('UQ')
    expect(await page.locator('#diagram .relation[data-from="orders"][data-to="users"]').getAttribute('data-on-delete')).toBe('CASCADE')
    expect(await page.locator('#diagram .relation[data-from="order_items"][data-to="products"]').getAttribute('data-on-delete')).toBe('RESTRICT')
    expect(await page.locator('#history li.success').count()).toBeGreaterThan(0)
    p.sql("INSERT INTO users (email, name) VALUES ('ada@example.com', 'Ada')")
    await page.reload()
    await table('users').click()
    await expect.poll(() => page.locator('#details .row-count').textContent()).toBe('1 row(s)')
    expect(await page.locator('#details .model a.editor').textContent()).toMatch(/^model\/users\.ts:\d+$/)
  })

  it('shows a column saved in a model without reloading the page', async () => {
    await page.evaluate(() => { (window as unknown as { notReloaded: boolean }).notReloaded = true })
    writeFileSync(users, readFileSync(users, 'utf8').replace('  name: text(),', '  name: text(),\n  nickname: text(),'))
    await table('users').locator('.column[data-column="nickname"]').waitFor({ timeout: 30_000 })
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true)
    await expect.poll(() => page.locator('#history li').first().textContent()).toContain('add column users.nickname')
  })

  it('applies a refused data-losing change after the person confirms what it loses, and the history shows it', async () => {
    p.sql("UPDATE users SET nickname = 'Countess' WHERE email = 'ada@example.com'")
    writeFileSync(users, readFileSync(users, 'utf8').replace('  nickname: text(),\n', ''))
    // The dev run refuses; the page lists the loss and, once it has worked out exactly what it is, offers to apply it.
    await page.locator('#pending[data-kind="data-loss"] #apply-start').waitFor({ timeout: 30_000 })
    expect(await page.locator('body').getAttribute('data-run')).toBe('failed')
    expect(await page.locator('#pending .loss-items').textContent()).toContain('nickname')
    expect(await page.locator('#pending .loss-items').textContent()).toContain('Countess')
    expect(p.columns('users')).toContain('nickname')
    await page.locator('#apply-start').click()
    // Nothing happens on the first click: the second names what is lost.
    expect(p.columns('users')).toContain('nickname')
    expect(await page.locator('#pending .confirm').textContent()).toContain('Countess')
    expect(await page.locator('#apply-confirm').textContent()).toBe('Yes, lose the data in users.nickname and apply 1 change(s)')
    await page.locator('#apply-confirm').click()
    await expect.poll(() => p.columns('users'), { timeout: 30_000 }).not.toContain('nickname')
    await expect.poll(() => page.locator('#pending').getAttribute('data-kind'), { timeout: 30_000 }).toBe('none')
    const latest = page.locator('#history li').first()
    await expect.poll(() => latest.getAttribute('class')).toBe('success')
    expect(await latest.textContent()).toContain('nickname')
    expect(await latest.locator('.meta').textContent()).toContain('vite-dev-page')
    expect(await page.locator('body').getAttribute('data-run')).toBe('ok')
    await table('users').waitFor()
    expect(await table('users').locator('.column[data-column="nickname"]').count()).toBe(0)
  })

  it('restores a backup from the page, after a second click that names it', async () => {
    const newest = page.locator('#backups li').first()
    const name = await newest.getAttribute('data-backup')
    expect(name).toBeTruthy()
    await newest.locator('button.restore').click()
    expect(await newest.locator('button.restore').textContent()).toContain(name!)
    expect(p.columns('users')).not.toContain('nickname')
    await newest.locator('button.restore').click()
    await expect.poll(() => p.columns('users'), { timeout: 30_000 }).toContain('nickname')
    expect(p.all<{ nickname: string }>('SELECT nickname FROM users')).toEqual([{ nickname: 'Countess' }])
    await expect.poll(() => page.locator('#restore-result').textContent(), { timeout: 30_000 }).toContain(`restored ${name}`)
    await expect.poll(() => page.locator('#history li.restored').count(), { timeout: 30_000 }).toBeGreaterThan(0)
  })
})

/** 100 tables in 10 model files, each table referring to the one before it in its file. */
function hundredTables(): Record<string, string> {
  const files: Record<string, string> = {}
  for (let f = 0; f < 10; f++) {
    const lines = [`import { table, int, text, real } from 'migrate-plugin/model'`]
    for (let t = 0; t < 10; t++) {
      const name = `t${f}_${t}`
      const parent = t > 0 ? `\n  parentId: int().references(() => t${f}_${t - 1}.id, { onDelete: '${t % 2 ? 'cascade' : 'set null'}' }),` : ''
      lines.push(`export const ${name} = table('${name}', {\n  id: int().primaryKey({ autoIncrement: true }),\n  label: text().notNull(),\n  amount: real(),${parent}\n})`)
    }
    files[`model/m${f}.ts`] = `${lines.join('\n\n')}\n`
  }
  return files
}

describe.runIf(existsSync(CHROMIUM))('the migrate page at 100 tables', () => {
  it('lays out 100 tables without overlaps, fits them in view, and zooms in and out', async () => {
    const p = new Project({ ...hundredTables(), 'index.html': '<!doctype html><p>app</p>' })
    const { server, port } = await startServer(p.root, { dev: 'apply', maxTablesPerRun: 200 })
    const { chromium } = await import('playwright-core')
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] })
    try {
      await until(() => p.tables().filter((t) => /^t\d_\d$/.test(t)).length === 100, 'the 100 tables')
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
      await page.goto(`http://localhost:${port}/__migrate/`)
      await expect.poll(() => page.locator('#diagram .table-box').count(), { timeout: 60_000 }).toBe(100)
      expect(await page.locator('#diagram .relation').count()).toBe(90)
      // Every box where the layout put it, none on top of another, and all of them inside the fitted view.
      const boxes = await page.locator('#diagram .table-box rect.body').evaluateAll((rects) => rects.map((r) => {
        const box = (r as SVGGraphicsElement).getBoundingClientRect()
        return { x: box.x, y: box.y, w: box.width, h: box.height }
      }))
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i]!
          const b = boxes[j]!
          expect(a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y, `tables ${i} and ${j} overlap`).toBe(true)
        }
      }
      const frame = await page.locator('#diagram').boundingBox()
      for (const b of boxes) expect(b.x >= frame!.x - 1 && b.y >= frame!.y - 1 && b.x + b.w <= frame!.x + frame!.width + 1 && b.y + b.h <= frame!.y + frame!.height + 1).toBe(true)
      const fitted = await page.locator('#diagram').getAttribute('viewBox')
      await page.locator('#zoom-in').click()
      await page.locator('#zoom-in').click()
      const zoomed = (await page.locator('#diagram').getAttribute('viewBox'))!.split(' ').map(Number)
      expect(zoomed[2]).toBeLessThan(Number(fitted!.split(' ')[2]) * 0.7)
      await page.locator('#zoom-fit').click()
      expect(await page.locator('#diagram').getAttribute('viewBox')).toBe(fitted)
    } finally {
      await browser.close()
      await server.close()
      p.remove()
    }
  })
})
