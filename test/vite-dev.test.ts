import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { Project, USERS_MODEL, until } from './helpers.ts'

describe('vite dev server', () => {
  it('applies model edits while running, shows model errors in the overlay, and clears them when fixed', async () => {
    const p = new Project({
      'model/users.ts': USERS_MODEL,
      'index.html': '<!doctype html><script type="module" src="/main.js"></script>',
      'main.js': 'document.body.textContent = "hi"\n',
    })
    const { createServer } = await import('vite')
    const { default: migrate } = await import('../plugin/vite.ts')
    // dev: 'apply' explicitly: with CI set (as in our CI) the default would be check.
    const server = await createServer({ root: p.root, configFile: false, logLevel: 'silent', server: { port: 0, host: '127.0.0.1' }, plugins: [migrate({ dev: 'apply' })] })
    await server.listen()
    try {
      // Dev start applies the models (dev = apply by default).
      await until(() => p.tables().includes('users'), 'the users table')
      const address = server.httpServer!.address() as { port: number }
      const messages: { type: string, err?: { message: string } }[] = []
      const ws = new WebSocket(`ws://127.0.0.1:${address.port}/?token=${server.config.webSocketToken}`, 'vite-hmr')
      ws.on('message', (data) => messages.push(JSON.parse(data.toString())))
      await new Promise((resolve) => ws.once('open', resolve))

      p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),'))
      await until(() => p.columns('users').includes('phone'), 'the phone column')
      await until(() => messages.some((m) => m.type === 'full-reload'), 'a full reload after the migration')

      p.write('model/users.ts', `${USERS_MODEL}\nexport const broken = (\n`)
      const error = await until(() => messages.find((m) => m.type === 'error'), 'an overlay error')
      expect(error.err!.message).toMatch(/model\/users\.ts:\d+:\d+: the model file failed to load/)
      // The server is still up and serving.
      const page = await fetch(`http://127.0.0.1:${address.port}/`)
      expect(page.status).toBe(200)

      // A browser connecting late still gets the error.
      const late: { type: string }[] = []
      const ws2 = new WebSocket(`ws://127.0.0.1:${address.port}/?token=${server.config.webSocketToken}`, 'vite-hmr')
      ws2.on('message', (data) => late.push(JSON.parse(data.toString())))
      await until(() => late.some((m) => m.type === 'error'), 'the error for a late browser')
      ws2.close()

      const reloadsBefore = messages.filter((m) => m.type === 'full-reload').length
      p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),\n  city: text(),'))
      await until(() => p.columns('users').includes('city'), 'the city column after the fix')
      await until(() => messages.filter((m) => m.type === 'full-reload').length > reloadsBefore, 'the overlay cleared by a reload')
      ws.close()
    } finally {
      await server.close()
    }
  })
})
