/**
 * docs/devpage.png, the README's picture of the page at /__migrate/: the playground's dev server
 * on a throwaway copy of the demo project (model/, migration.conf), a few rows, one saved model
 * change, and a refused data-losing change waiting for confirmation, in headless Chromium.
 *
 *   node scripts/screenshot-devpage.mjs [output.png]
 *
 * Plain JavaScript: Vite loads the playground's TypeScript config (and the plugin it imports) itself.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
const output = process.argv[2] ?? join(REPO, 'docs/devpage.png')

async function main() {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: set CHROMIUM to its path`)
  const { createServer } = await import('vite')
  const { chromium } = await import('playwright-core')
  // Inside the repository, so that the copy finds `migrate-plugin` and `@prisma/client`.
  mkdirSync(join(REPO, '.tmp-tests'), { recursive: true })
  const root = mkdtempSync(join(REPO, '.tmp-tests', 'screenshot-'))
  let server
  let browser
  try {
    cpSync(join(REPO, 'model'), join(root, 'model'), { recursive: true })
    writeFileSync(join(root, 'migration.conf'), readFileSync(join(REPO, 'migration.conf'), 'utf8'))
    mkdirSync(join(root, 'backups'))
    process.env.PLAYGROUND_PROJECT_ROOT = root
    server = await createServer({ configFile: join(REPO, 'playground/vite.config.ts'), server: { port: 0, host: '127.0.0.1' } })
    await server.listen()
    const { port } = server.httpServer.address()
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] })
    const page = await browser.newPage({ viewport: { width: 1440, height: 960 }, colorScheme: 'light' })
    await page.goto(`http://127.0.0.1:${port}/__migrate/`)
    await page.locator('#diagram .table-box[data-table="order_items"]').waitFor({ timeout: 60_000 })

    const db = new Database(join(root, 'dev.db'))
    try {
      db.exec(`INSERT INTO users (email, name) VALUES ('ada@example.com', 'Ada Lovelace'), ('alan@example.com', 'Alan Turing'), ('grace@example.com', 'Grace Hopper');
        INSERT INTO products (sku, name, price) VALUES ('AE-1', 'Analytical Engine', 1843), ('DE-2', 'Difference Engine', 1822);`)
    } finally {
      db.close()
    }
    // One saved change (shown live), then a change that would lose data: the page asks before applying it.
    const users = join(root, 'model/users.ts')
    const original = readFileSync(users, 'utf8')
    writeFileSync(users, original.replace('  name: text(),', '  name: text(),\n  nickname: text(),'))
    await page.locator('#diagram .table-box[data-table="users"] .column[data-column="nickname"]').waitFor({ timeout: 60_000 })
    const write = new Database(join(root, 'dev.db'))
    write.exec(`UPDATE users SET nickname = 'Countess' WHERE email = 'ada@example.com'`)
    write.close()
    writeFileSync(users, original)
    await page.locator('#apply-start').waitFor({ timeout: 60_000 })
    await page.locator('#diagram .table-box[data-table="orders"]').click()
    await page.locator('#zoom-fit').click()
    await page.waitForTimeout(300)
    mkdirSync(join(output, '..'), { recursive: true })
    await page.screenshot({ path: output, fullPage: true })
    console.log(`wrote ${output}`)
  } finally {
    await browser?.close()
    await server?.close()
    rmSync(root, { recursive: true, force: true })
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
