import { existsSync } from 'node:fs'
import WebSocket from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import type { ViteDevServer } from 'vite'
import { send, startServer, tokenOf } from './devpage-server.ts'
import { Project, USERS_MODEL, until } from './helpers.ts'

interface PageState {
  lastRun: { ok: boolean, trigger: string, error?: { message: string } } | null
  pending: { kind: string, loss?: string[], fingerprint?: string, blocked?: string } | null
  history: { status: string, trigger: string, description: string }[]
}

const WITH_NICKNAME = USERS_MODEL.replace('name: text(),', 'name: text(),\n  nickname: text(),')

/** The page's apply, through its API as the page's script calls it: what it refuses, and what it applies. */
describe('the migrate page\'s actions', () => {
  let server: ViteDevServer | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  async function open(p: Project): Promise<{ port: number, token: string, state: () => Promise<PageState>, post: (path: string, body: unknown) => Promise<{ status: number, body: { ok: boolean, error?: { message: string } } }> }> {
    const started = await startServer(p.root, { dev: 'apply' })
    server = started.server
    const { port } = started
    const host = `localhost:${port}`
    const token = tokenOf((await send({ port, path: '/__migrate/', host })).body)
    return {
      port, token,
      state: async () => JSON.parse((await send({ port, path: '/__migrate/api/state', host })).body) as PageState,
      post: async (path, body) => {
        const answer = await send({ port, method: 'POST', path: `/__migrate${path}`, host, headers: { 'Content-Type': 'application/json', Origin: `http://${host}`, 'X-Migrate-Token': token }, body: JSON.stringify(body) })
        return { status: answer.status, body: JSON.parse(answer.body) as { ok: boolean, error?: { message: string } } }
      },
    }
  }

  async function lossShown(state: () => Promise<PageState>, other?: string): Promise<string> {
    let fingerprint = ''
    await expect.poll(async () => {
      const s = await state()
      fingerprint = s.pending?.kind === 'data-loss' && s.pending.fingerprint && s.pending.fingerprint !== other ? s.pending.fingerprint : ''
      return fingerprint
    }, { timeout: 30_000 }).not.toBe('')
    return fingerprint
  }

  it('refuses an apply once the models or the data at stake changed since the page showed the loss, and applies the loss shown', async () => {
    const p = new Project({ 'model/users.ts': WITH_NICKNAME, 'index.html': '<!doctype html><p>app</p>' })
    const page = await open(p)
    await until(() => p.tables().includes('users') && p.columns('users').includes('nickname'), 'the users table')
    p.sql("INSERT INTO users (email, nickname) VALUES ('ada@example.com', 'Countess')")
    p.write('model/users.ts', USERS_MODEL)
    const first = await lossShown(page.state)
    expect((await page.state()).pending!.loss!.join('\n')).toContain('Countess')

    // A model saved after the page showed the loss: the page's fingerprint is for another plan.
    p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  city: text(),'))
    const second = await lossShown(page.state, first)
    const before = p.hash()
    const stale = await page.post('/api/apply', { fingerprint: first, confirm: true })
    expect(stale.status).toBe(409)
    expect(stale.body.error!.message).toContain('changed since the page showed it')
    expect(p.hash()).toBe(before)

    // Data at stake that changed with no run in between: the apply's own loss report differs, and it refuses.
    p.sql("INSERT INTO users (email, nickname) VALUES ('alan@example.com', 'Prof')")
    const moved = p.hash()
    const refused = await page.post('/api/apply', { fingerprint: second, confirm: true })
    expect(refused.status).toBe(409)
    expect(refused.body.error!.message).toContain('not what was confirmed')
    expect(p.columns('users')).toContain('nickname')
    expect(p.hash()).toBe(moved)

    // Without confirm: true, nothing is even tried.
    const third = await lossShown(page.state, second)
    expect((await page.state()).pending!.loss!.join('\n')).toMatch(/2 non-null value/)
    expect((await page.post('/api/apply', { fingerprint: third })).status).toBe(400)
    expect(p.hash()).toBe(moved)

    const applied = await page.post('/api/apply', { fingerprint: third, confirm: true })
    expect(applied.body).toMatchObject({ ok: true })
    expect(p.columns('users')).not.toContain('nickname')
    expect(p.columns('users')).toContain('city')
    const history = (await page.state()).history
    expect(history[0]).toMatchObject({ status: 'success', trigger: 'vite-dev-page' })
    expect(history[0]!.description).toContain('nickname')
    // The page asked twice without the person: no history row for a refusal, none for the questions.
    expect(history.filter((h) => h.trigger === 'vite-dev-page')).toHaveLength(1)
    await expect.poll(async () => (await page.state()).pending).toBeNull()
  })

  it('tells browsers over Vite\'s HMR socket only that a run finished; the page\'s state has a failed run\'s error', async () => {
    const p = new Project({ 'model/users.ts': USERS_MODEL, 'index.html': '<!doctype html><p>app</p>' })
    const page = await open(p)
    await until(() => p.tables().includes('users'), 'the users table')
    const messages: { type: string, event?: string, data?: { ok: boolean, error?: { message: string } } }[] = []
    const ws = new WebSocket(`ws://127.0.0.1:${page.port}/?token=${server!.config.webSocketToken}`, 'vite-hmr')
    ws.on('message', (data) => messages.push(JSON.parse(data.toString()) as (typeof messages)[number]))
    await new Promise((resolve) => ws.once('open', resolve))
    try {
      p.write('model/users.ts', `${USERS_MODEL}\nexport const broken = (\n`)
      const failed = await until(() => messages.find((m) => m.type === 'custom' && m.event === 'migrate:run' && m.data?.ok === false), 'a failed run on the socket')
      // The socket says only that a run finished (it reaches every browser, also on the network); the page reads the rest.
      expect(Object.keys(failed.data!).sort()).toEqual(['at', 'ok'])
      const state = await page.state()
      expect(state.lastRun).toMatchObject({ ok: false, error: { message: expect.stringMatching(/model\/users\.ts:\d+:\d+: the model file failed to load/) } })
      p.write('model/users.ts', USERS_MODEL.replace('name: text(),', 'name: text(),\n  phone: text(),'))
      await until(() => messages.find((m) => m.type === 'custom' && m.event === 'migrate:run' && m.data?.ok === true), 'a good run on the socket')
      expect((await page.state()).lastRun).toMatchObject({ ok: true })
    } finally {
      ws.close()
    }
  })
})

describe('the migrate page in warn mode', () => {
  it('shows the pending change with its steps, their model files and the SQL, and offers no apply', async () => {
    const p = new Project({ 'model/users.ts': USERS_MODEL, 'index.html': '<!doctype html><p>app</p>' })
    const { server, port } = await startServer(p.root, { dev: 'warn' })
    try {
      const host = `localhost:${port}`
      let state: PageState & { pending: { kind: string, steps: { description: string, file?: string, line?: number }[], sql: string, fingerprint?: string } | null } | undefined
      await expect.poll(async () => {
        state = JSON.parse((await send({ port, path: '/__migrate/api/state', host })).body) as typeof state
        return state!.pending?.kind
      }, { timeout: 30_000 }).toBe('pending')
      expect(state!.pending!.steps[0]).toMatchObject({ description: 'create table users', file: 'model/users.ts', line: expect.any(Number) })
      expect(state!.pending!.sql).toContain('CREATE TABLE "users"')
      expect(state!.pending!.fingerprint).toBeUndefined()
      expect(existsSync(p.dbPath)).toBe(false)
    } finally {
      await server.close()
    }
  })
})
