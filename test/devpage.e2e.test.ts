import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import type { ViteDevServer } from 'vite'
import { Project, REPO } from './helpers.ts'

const CHROMIUM = '/usr/bin/chromium'

/**
 * The page at /__migrate/ in headless Chromium, on a copy of the playground's project: one dev
 * server and one browser for the whole story, each step starting where the one before left off.
 */
describe.runIf(existsSync(CHROMIUM))('the migrate page in a real browser', () => {
  let p: Project
  let server: ViteDevServer
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
    process.env.PLAYGROUND_PROJECT_ROOT = p.root
    const { createServer } = await import('vite')
    server = await createServer({ configFile: join(REPO, 'playground/vite.config.ts'), server: { port: 0, host: '127.0.0.1' } })
    await server.listen()
    const { chromium } = await import('playwright-core')
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    const { port } = server.httpServer!.address() as { port: number }
    await page.goto(`http://127.0.0.1:${port}/__migrate/`)
  })

  afterAll(async () => {
    await browser?.close()
    await server?.close()
    delete process.env.PLAYGROUND_PROJECT_ROOT
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
