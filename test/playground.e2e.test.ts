import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Project, REPO } from './helpers.ts'

const CHROMIUM = '/usr/bin/chromium'

/** The playground in headless Chromium: demo tables and history, then a model edit shows up after reload. */
describe.runIf(existsSync(CHROMIUM))('playground in a real browser', () => {
  it('shows the demo tables and the history, and a new model column after reload', async () => {
    // Inside the repository, so that the project finds `prisma` and `@prisma/client` and the plugin
    // regenerates the client the page reads with.
    mkdirSync(join(REPO, '.tmp-tests'), { recursive: true })
    const p = new Project()
    Object.defineProperty(p, 'root', { value: mkdtempSync(join(REPO, '.tmp-tests', 'playground-')) })
    cpSync(join(REPO, 'model'), join(p.root, 'model'), { recursive: true })
    writeFileSync(join(p.root, 'migration.conf'), readFileSync(join(REPO, 'migration.conf'), 'utf8').replace('backup_directory = backups', 'backup_directory = .'))
    process.env.PLAYGROUND_PROJECT_ROOT = p.root
    const { createServer } = await import('vite')
    const server = await createServer({ configFile: join(REPO, 'playground/vite.config.ts'), server: { port: 0, host: '127.0.0.1' } })
    await server.listen()
    const { chromium } = await import('playwright-core')
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
    try {
      const { port } = server.httpServer!.address() as { port: number }
      const page = await browser.newPage()
      await page.goto(`http://127.0.0.1:${port}/`)
      for (const table of ['users', 'orders', 'order_items', 'products']) await page.locator(`article[data-table="${table}"]`).waitFor()
      await expect.poll(() => page.locator('#history li.success').count()).toBeGreaterThan(0)
      expect(await page.locator('#history').textContent()).toContain('create table users')
      expect(await page.locator('article[data-table="users"] td').allTextContents()).toContain('ada@example.com')
      expect(await page.locator('article[data-table="users"]').getAttribute('data-reader')).toBe('prisma-client')

      const users = join(p.root, 'model/users.ts')
      writeFileSync(users, readFileSync(users, 'utf8').replace('  name: text(),', '  name: text(),\n  nickname: text(),'))
      await expect.poll(() => p.columns('users'), { timeout: 20_000 }).toContain('nickname')
      // A value only a client regenerated with the new field can read.
      p.sql("UPDATE users SET nickname = 'Countess' WHERE email = 'ada@example.com'")
      // The dev server reloads the page itself after migrating; reload as a user would, too. The two
      // can race (the browser aborts one navigation for the other), so keep reloading until it shows.
      const column = page.locator('article[data-table="users"] th[data-column="nickname"]')
      const value = page.locator('article[data-table="users"][data-reader="prisma-client"] td', { hasText: 'Countess' })
      await expect.poll(async () => {
        if (await column.count() > 0 && await value.count() > 0) return true
        await page.reload().catch(() => undefined)
        return false
      }, { timeout: 20_000, interval: 500 }).toBe(true)
      expect(await page.locator('#history li').first().textContent()).toContain('add column users.nickname')
      await page.screenshot({ path: join(p.root, 'playground.png'), fullPage: true })
    } finally {
      await browser.close()
      await server.close()
      delete process.env.PLAYGROUND_PROJECT_ROOT
    }
  })
})
