import { readdirSync, readFileSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ViteDevServer } from 'vite'
import { MigrateError } from '../plugin/core/errors.ts'
import { isLoopbackAddress, isLoopbackHost, isLoopbackOrigin, isOwnOrigin } from '../plugin/devpage/security.ts'
import type { PluginOptions } from '../plugin/types.ts'
import { send, startServer, tokenOf } from './devpage-server.ts'
import { POSTS_MODEL, Project, USERS_MODEL, until } from './helpers.ts'

describe('who the migrate page answers', () => {
  it('tells loopback peers, hosts and origins from everything else', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1']) expect(isLoopbackAddress(address), address).toBe(true)
    for (const address of ['10.1.2.3', '192.168.0.4', '::ffff:10.0.0.1', 'fe80::1', '::', '0.0.0.0', '128.0.0.1', '', undefined]) expect(isLoopbackAddress(address), String(address)).toBe(false)
    for (const host of ['localhost', 'localhost:5173', '127.0.0.1:5173', '127.1.2.3', '[::1]:5173', '[::1]', 'LOCALHOST:80']) expect(isLoopbackHost(host), host).toBe(true)
    for (const host of ['10.1.2.3:5173', 'evil.example', 'localhost.evil.example', 'evil.localhost', '127.0.0.1.nip.io', '[fe80::1]:5173', '::1', 'localhost:5173:1', '', undefined, '127.0.0.1:5173/x', '0x7f000001']) expect(isLoopbackHost(host), String(host)).toBe(false)
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:5173', 'http://[::1]:5173', 'https://localhost:5173']) expect(isLoopbackOrigin(origin), origin).toBe(true)
    for (const [origin, host] of [['http://localhost:5173', 'localhost:5173'], ['http://127.0.0.1:5173', 'localhost:5173'], ['http://localhost', 'localhost'], ['http://localhost', 'localhost:80'], ['http://[::1]:5173', '[::1]:5173']]) expect(isOwnOrigin(origin!, host!), `${origin} ${host}`).toBe(true)
    for (const [origin, host] of [['http://localhost:3000', 'localhost:5173'], ['http://localhost', 'localhost:5173'], ['http://evil.example:5173', 'localhost:5173'], ['http://[::1]:3000', '[::1]:5173']]) expect(isOwnOrigin(origin!, host!), `${origin} ${host}`).toBe(false)
    for (const origin of ['null', 'http://evil.example', 'http://localhost.evil.example', 'file://', 'chrome-extension://abc', 'http://user:pw@localhost:5173', 'http://10.1.2.3:5173', 'ws://localhost:5173']) expect(isLoopbackOrigin(origin), origin).toBe(false)
  })

  describe('on a real vite dev server', () => {
    let p: Project
    let server: ViteDevServer
    let port: number
    let token: string
    beforeAll(async () => {
      p = new Project({ 'model/users.ts': USERS_MODEL, 'model/posts.ts': POSTS_MODEL, 'index.html': '<!doctype html><p>app</p>' })
      ;({ server, port } = await startServer(p.root, { dev: 'apply' }))
      await until(() => p.tables().includes('posts'), 'the posts table')
      const page = await send({ port, path: '/__migrate/', host: `127.0.0.1:${port}` })
      expect(page.status).toBe(200)
      token = tokenOf(page.body)
      expect(token).toMatch(/^[0-9a-f]{64}$/)
    })
    afterAll(async () => {
      await server?.close()
      p?.remove()
    })

    it('serves the page and its state to this machine under a loopback Host and Origin', async () => {
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'localhost']) {
        const answer = await send({ port, path: '/__migrate/api/state', host, headers: { Origin: `http://localhost:${port}` } })
        expect(answer.status, host).toBe(200)
        const state = JSON.parse(answer.body) as { diagram: { tables: { name: string, file?: string }[], relations: { from: string, to: string, onDelete: string }[] } }
        expect(state.diagram.tables.map((t) => t.name).sort()).toEqual(['posts', 'users'])
        expect(state.diagram.tables.find((t) => t.name === 'posts')!.file).toBe('model/posts.ts')
        expect(state.diagram.relations).toEqual([expect.objectContaining({ from: 'posts', to: 'users', onDelete: 'CASCADE' })])
      }
      // Without the slash: sent to the page.
      expect((await send({ port, path: '/__migrate', host: `127.0.0.1:${port}` })).status).toBe(302)
    })

    it('refuses a foreign Host, even an IP address Vite itself lets through', async () => {
      for (const host of [`10.1.2.3:${port}`, 'evil.example', `evil.example:${port}`, `localhost.evil.example:${port}`, `127.0.0.1.nip.io:${port}`]) {
        for (const path of ['/__migrate/', '/__migrate/api/state', '/__migrate/page.js']) {
          const answer = await send({ port, path, host })
          expect(answer.status, `${host} ${path}`).toBe(403)
          // Vite turns away names it was not told about before the page sees them; IP addresses it lets through, and the page refuses.
          if (host.startsWith('10.')) expect(answer.body).toMatch(/^403 Forbidden: the migrate page answers only to a loopback Host/)
          expect(answer.body).not.toContain(token)
        }
      }
    })

    it('refuses a request sent from another site (a foreign Origin)', async () => {
      for (const origin of ['http://evil.example', 'null', `http://10.1.2.3:${port}`, `http://localhost.evil.example:${port}`]) {
        const answer = await send({ port, path: '/__migrate/', host: `localhost:${port}`, headers: { Origin: origin } })
        expect(answer.status, origin).toBe(403)
        expect(answer.body).toContain('requests from other sites are refused')
        expect(answer.body).not.toContain(token)
      }
    })

    it('takes actions by POST only, with a loopback Origin and the page\'s token', async () => {
      const before = p.hash()
      const origin = `http://localhost:${port}`
      const json = { 'Content-Type': 'application/json' }
      const cases: [string, Parameters<typeof send>[0], RegExp][] = [
        ['GET on apply', { port, path: '/__migrate/api/apply', host: `localhost:${port}`, headers: { Origin: origin, 'X-Migrate-Token': token } }, /actions are POST only/],
        ['GET on restore', { port, path: '/__migrate/api/restore?backup=x', host: `localhost:${port}`, headers: { 'X-Migrate-Token': token } }, /actions are POST only/],
        ['no token', { port, method: 'POST', path: '/__migrate/api/apply', host: `localhost:${port}`, headers: { ...json, Origin: origin }, body: '{"fingerprint":"x","confirm":true}' }, /needs the page's token/],
        ['a wrong token', { port, method: 'POST', path: '/__migrate/api/restore', host: `localhost:${port}`, headers: { ...json, Origin: origin, 'X-Migrate-Token': token.replace(/.$/, (c) => (c === '0' ? '1' : '0')) }, body: '{}' }, /needs the page's token/],
        ['a short token', { port, method: 'POST', path: '/__migrate/api/restore', host: `localhost:${port}`, headers: { ...json, Origin: origin, 'X-Migrate-Token': token.slice(0, 10) }, body: '{}' }, /needs the page's token/],
        ['no Origin', { port, method: 'POST', path: '/__migrate/api/apply', host: `localhost:${port}`, headers: { ...json, 'X-Migrate-Token': token }, body: '{}' }, /needs an Origin/],
        ['a foreign Origin with the token', { port, method: 'POST', path: '/__migrate/api/restore', host: `localhost:${port}`, headers: { ...json, Origin: 'http://evil.example', 'X-Migrate-Token': token }, body: '{}' }, /other sites/],
        ['another local program\'s page (another port) with the token', { port, method: 'POST', path: '/__migrate/api/apply', host: `localhost:${port}`, headers: { ...json, Origin: `http://localhost:${port + 1}`, 'X-Migrate-Token': token }, body: '{}' }, /must come from the migrate page itself/],
        ['a foreign Host with the token', { port, method: 'POST', path: '/__migrate/api/apply', host: `10.1.2.3:${port}`, headers: { ...json, Origin: origin, 'X-Migrate-Token': token }, body: '{}' }, /loopback Host/],
        ['a POST on a read', { port, method: 'POST', path: '/__migrate/api/state', host: `localhost:${port}`, headers: { ...json, Origin: origin, 'X-Migrate-Token': token }, body: '{}' }, /reads are GET only/],
      ]
      for (const [what, options, reason] of cases) {
        const answer = await send(options)
        expect(answer.status, what).toBe(403)
        expect(answer.body, what).toMatch(reason)
      }
      // Through every wall, but a form post (no JSON) and a backup that is not in the list: refused, nothing changed.
      const form = await send({ port, method: 'POST', path: '/__migrate/api/restore', host: `localhost:${port}`, headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: origin, 'X-Migrate-Token': token }, body: 'backup=x&confirm=x' })
      expect(form.status).toBe(400)
      for (const name of ['../../etc/passwd', p.dbPath, 'dev.db']) {
        const answer = await send({ port, method: 'POST', path: '/__migrate/api/restore', host: `localhost:${port}`, headers: { ...json, Origin: origin, 'X-Migrate-Token': token }, body: JSON.stringify({ backup: name, confirm: name }) })
        expect(answer.status, name).toBe(409)
        expect((JSON.parse(answer.body) as { error: { message: string } }).error.message).toContain('no backup named')
      }
      const apply = await send({ port, method: 'POST', path: '/__migrate/api/apply', host: `localhost:${port}`, headers: { ...json, Origin: origin, 'X-Migrate-Token': token }, body: JSON.stringify({ fingerprint: 'f', confirm: true }) })
      expect(apply.status).toBe(409)
      expect(apply.body).toContain('there is no refused data-losing change to apply now')
      expect(p.hash()).toBe(before)
    })

    it('refuses a peer on another address, when the dev server listens on the network', async (context) => {
      const address = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address ?? ''
      if (address === '') {
        context.skip('this machine has no non-loopback IPv4 address to send from')
        return
      }
      const { server: exposed, port: exposedPort } = await startServer(p.root, { dev: 'apply' }, '0.0.0.0')
      try {
        // Sent from (and to) the machine's network address: the peer is not loopback, whatever the Host says.
        const answer = await send({ address, port: exposedPort, path: '/__migrate/', host: `127.0.0.1:${exposedPort}` })
        expect(answer.status).toBe(403)
        expect(answer.body).toContain('answers only to this machine')
        expect((await send({ port: exposedPort, path: '/__migrate/', host: `127.0.0.1:${exposedPort}` })).status).toBe(200)
      } finally {
        await exposed.close()
      }
    })
  })

  it('is off with devPage: false, moves with devPage.path, and refuses a bad option', async () => {
    const p = new Project({ 'model/users.ts': USERS_MODEL, 'index.html': '<!doctype html><p>app</p>' })
    try {
      const off = await startServer(p.root, { dev: 'apply', devPage: false })
      try {
        const answer = await send({ port: off.port, path: '/__migrate/api/state', host: `127.0.0.1:${off.port}` })
        expect(answer.body).not.toContain('"diagram"')
        expect((await send({ port: off.port, path: '/__migrate/', host: `127.0.0.1:${off.port}` })).body).not.toContain('migrate-settings')
      } finally {
        await off.server.close()
      }
      const moved = await startServer(p.root, { dev: 'apply', devPage: { path: '/db/' } })
      try {
        expect((await send({ port: moved.port, path: '/db/', host: `127.0.0.1:${moved.port}` })).body).toContain('migrate-settings')
        expect((await send({ port: moved.port, path: '/__migrate/', host: `127.0.0.1:${moved.port}` })).body).not.toContain('migrate-settings')
      } finally {
        await moved.server.close()
      }
      for (const devPage of [{ path: 'db' }, { path: '/a b' }, { path: '/@vite' }, { where: '/x' }, 'yes'] as unknown[]) {
        const error = await startServer(p.root, { dev: 'apply', devPage: devPage as PluginOptions['devPage'] }).then(async (s) => { await s.server.close() }, (e: unknown) => e)
        expect(error, JSON.stringify(devPage)).toBeInstanceOf(MigrateError)
        expect((error as MigrateError).message).toMatch(/the plugin option devPage/)
        expect((error as MigrateError).hint).toBeTruthy()
      }
    } finally {
      p.remove()
    }
  })

  it('is absent from `vite build` and `vite preview`', async () => {
    const p = new Project({ 'model/users.ts': USERS_MODEL, 'index.html': '<!doctype html><p>app</p>' })
    try {
      await p.migrate()
      const { build, preview } = await import('vite')
      const { default: migrate } = await import('../plugin/vite.ts')
      await build({ root: p.root, configFile: false, logLevel: 'silent', plugins: [migrate()], build: { outDir: join(p.root, 'dist') } })
      const built = readdirSync(join(p.root, 'dist'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'))
      expect(built.length).toBeGreaterThan(0)
      expect(built.join('\n')).not.toContain('migrate-settings')
      const server = await preview({ root: p.root, configFile: false, logLevel: 'silent', plugins: [migrate()], build: { outDir: join(p.root, 'dist') }, preview: { port: 0, host: '127.0.0.1' } })
      try {
        const { port } = server.httpServer.address() as { port: number }
        for (const path of ['/__migrate/', '/__migrate/api/state', '/__migrate/page.js']) {
          const answer = await send({ port, path, host: `127.0.0.1:${port}` })
          expect(answer.body, path).not.toContain('migrate-settings')
          expect(answer.body, path).not.toContain('"diagram"')
          expect(answer.body, path).not.toContain('settings.token')
        }
      } finally {
        await server.close()
      }
    } finally {
      p.remove()
    }
  })

  it('shows a failed run\'s error, and no secret of the database URL', async () => {
    const p = new Project({ 'model/users.ts': USERS_MODEL, 'index.html': '<!doctype html><p>app</p>' })
    // Nothing listens on port 9: the run fails to connect, and the page shows why.
    const { server, port } = await startServer(p.root, { dev: 'apply', databaseUrl: 'postgresql://app:s3cretPassw0rd@127.0.0.1:9/shop?sslpassword=k3yPhrase' })
    try {
      const page = await send({ port, path: '/__migrate/', host: `localhost:${port}` })
      let text = ''
      await expect.poll(async () => {
        text = (await send({ port, path: '/__migrate/api/state', host: `localhost:${port}` })).body
        return (JSON.parse(text) as { lastRun: unknown }).lastRun !== null
      }, { timeout: 30_000 }).toBe(true)
      expect((JSON.parse(text) as { lastRun: { ok: boolean, error: { message: string } } }).lastRun).toMatchObject({ ok: false, error: { message: expect.stringMatching(/\S/) } })
      for (const body of [page.body, text]) {
        expect(body).not.toContain('s3cretPassw0rd')
        expect(body).not.toContain('k3yPhrase')
      }
    } finally {
      await server.close()
      p.remove()
    }
  })
})
