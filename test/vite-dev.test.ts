import { describe, expect, it } from 'vitest'
import { Project, USERS_MODEL, until } from './helpers.ts'
import { startDevServer } from './vite-dev-server.ts'

describe('vite dev server', () => {
  it('applies model edits while running, shows model errors in the overlay, and clears them when fixed', async () => {
    const p = new Project({
      'model/users.ts': USERS_MODEL,
      'index.html': '<!doctype html><script type="module" src="/main.js"></script>',
      'main.js': 'document.body.textContent = "hi"\n',
    })
    // dev: 'apply' explicitly: with CI set (as in our CI) the default would be check.
    const server = await startDevServer(p.root, { dev: 'apply' })
    try {
      // Dev start applies the models (dev = apply by default).
      await until(() => p.tables().includes('users'), 'the users table')
      const { messages, close } = await server.connect()

      p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),'))
      await until(() => p.columns('users').includes('phone'), 'the phone column')
      await until(() => messages.some((m) => m.type === 'full-reload'), 'a full reload after the migration')

      p.write('model/users.ts', `${USERS_MODEL}\nexport const broken = (\n`)
      const error = await until(() => messages.find((m) => m.type === 'error'), 'an overlay error')
      expect(error.err!.message).toMatch(/model\/users\.ts:\d+:\d+: the model file failed to load/)
      // The server is still up and serving.
      const page = await fetch(server.url)
      expect(page.status).toBe(200)

      // A browser connecting late still gets the error.
      const late = await server.connect()
      await until(() => late.messages.some((m) => m.type === 'error'), 'the error for a late browser')
      late.close()

      const reloadsBefore = messages.filter((m) => m.type === 'full-reload').length
      p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),\n  city: text(),'))
      await until(() => p.columns('users').includes('city'), 'the city column after the fix')
      await until(() => messages.filter((m) => m.type === 'full-reload').length > reloadsBefore, 'the overlay cleared by a reload')
      close()
    } finally {
      await server.close()
    }
  })
})
