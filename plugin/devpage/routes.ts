import { readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import type { ResolvedConfig } from '../core/config.ts'
import { backups, history } from '../index.ts'
import type { CommonOptions } from '../types.ts'
import { applyShownLoss, restoreListed } from './actions.ts'
import { pageHtml, PAGE_CSS, PAGE_SCRIPT, type PageSettings } from './assets.ts'
import { readDiagram } from './diagram.ts'
import { refusal, pageToken } from './security.ts'
import { clean, errorView, type PageState } from './state.ts'

export interface RouteContext {
  /** Where the page is served, without a trailing slash. */
  path: string
  state: PageState
  config(): ResolvedConfig
  common(): CommonOptions
  /** A dev run, as a saved model starts one: the page (and the app) then show where things stand. */
  rerun(): Promise<void>
  /** How the page reaches Vite's HMR socket. */
  hmr(): PageSettings['hmr']
}

type Next = (error?: unknown) => void

const MAX_BODY = 64 * 1024

/** A connect middleware: the page, its assets, the read API (GET) and the two actions (POST). */
export function devPageMiddleware(route: RouteContext): (req: IncomingMessage, res: ServerResponse, next: Next) => void {
  let busy: Promise<unknown> = Promise.resolve()
  // One action at a time: a double click must not start a second apply or restore behind the first.
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const run = busy.then(work, work)
    busy = run.catch(() => undefined)
    return run
  }
  return (req, res, next) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const pathname = url.pathname
    if (pathname !== route.path && !pathname.startsWith(`${route.path}/`)) return next()
    const sub = pathname.slice(route.path.length) || '/'
    const action = sub === '/api/apply' || sub === '/api/restore'
    const refused = refusal(req, action)
    if (refused) return send(res, 403, 'text/plain; charset=utf-8', `403 Forbidden: ${refused}\n`)
    if (!action && req.method !== 'GET' && req.method !== 'HEAD') return send(res, 403, 'text/plain; charset=utf-8', '403 Forbidden: the migrate page\'s reads are GET only\n')
    void (async () => {
      try {
        switch (sub) {
          case '/':
            if (pathname === route.path) return redirect(res, `${route.path}/`)
            return send(res, 200, 'text/html; charset=utf-8', pageHtml({ base: route.path, token: pageToken(), hmr: route.hmr() }))
          case '/page.js': return send(res, 200, 'text/javascript; charset=utf-8', PAGE_SCRIPT)
          case '/page.css': return send(res, 200, 'text/css; charset=utf-8', PAGE_CSS)
          case '/elk.js': return send(res, 200, 'text/javascript; charset=utf-8', elkSource())
          case '/api/state': return json(res, 200, await readState(route))
          case '/api/apply': return json(res, ...await serially(() => applyAction(route, req)))
          case '/api/restore': return json(res, ...await serially(() => restoreAction(route, req)))
          default: return send(res, 404, 'text/plain; charset=utf-8', '404: no such page of the migrate page\n')
        }
      } catch (error) {
        json(res, 500, { ok: false, error: errorView(error) })
      }
    })()
  }
}

async function readState(route: RouteContext): Promise<unknown> {
  const config = route.config()
  const common = route.common()
  const [diagram, past] = await Promise.all([
    readDiagram(config, route.state.owners).catch((error: unknown) => ({ tables: [], relations: [], note: `the schema could not be read: ${errorView(error).message}` })),
    history({ ...common, limit: 50 }).then((h) => h.entries).catch(() => []),
  ])
  const now = Date.now()
  return {
    database: route.state.summaryLabel(),
    databaseKind: config.databaseKind,
    root: config.root,
    lastRun: route.state.lastRun ?? null,
    pending: route.state.pending ?? null,
    diagram,
    history: past.map((h) => ({
      id: h.migrationId, status: h.status, startedAt: h.startedAt, finishedAt: h.finishedAt, durationMs: Math.round(h.durationMs), trigger: h.trigger,
      description: clean(h.description), steps: h.steps.map((s) => ({ description: clean(s.description), ...(s.file ? { file: s.file } : {}) })),
      error: h.error === null ? null : clean(h.error), failedStep: h.failedStep, warnings: h.warnings.map(clean),
    })),
    backups: backups(common).backups.map((b) => ({ name: b.name, size: b.size, createdAt: b.createdAt.toISOString(), ageSeconds: Math.max(0, Math.round((now - b.createdAt.getTime()) / 1000)), verified: b.verified })),
  }
}

type Answer = [number, unknown]

async function applyAction(route: RouteContext, req: IncomingMessage): Promise<Answer> {
  const body = await readJson(req)
  if (typeof body.fingerprint !== 'string' || body.confirm !== true) return [400, { ok: false, error: { message: 'an apply needs the fingerprint of the change the page showed and confirm: true' } }]
  const shown = route.state.shown
  if (!shown) return [409, { ok: false, error: { message: 'there is no refused data-losing change to apply now', hint: 'reload the page to see where things stand' } }]
  if (shown.fingerprint !== body.fingerprint) {
    return [409, { ok: false, error: { message: 'the change or the data at stake changed since the page showed it: nothing was changed', hint: 'read the new loss on the page and confirm again' } }]
  }
  try {
    const { result, warnings } = await applyShownLoss(route.config(), shown)
    // The terminal is where the dev server's runs are told: a run started from the page is one too.
    console.log(`migrate-plugin: applied from the page (${route.path}): ${clean(result.plan?.steps.map((s) => s.description).join('; ') ?? 'no change')}`)
    await route.rerun()
    return [200, { ok: true, outcome: result.outcome, migrationId: result.migrationId ?? null, backup: result.backupPath ? result.backupPath.split(/[\\/]/).pop() : null, warnings: warnings.map(clean) }]
  } catch (error) {
    // A refusal (the plan or the data moved since) changed nothing; the dev run shows the new state.
    await route.rerun()
    return [409, { ok: false, error: errorView(error) }]
  }
}

async function restoreAction(route: RouteContext, req: IncomingMessage): Promise<Answer> {
  const body = await readJson(req)
  if (typeof body.backup !== 'string' || body.confirm !== body.backup) return [400, { ok: false, error: { message: 'a restore needs the backup\'s name, and confirm set to the same name' } }]
  try {
    const result = await restoreListed(route.common(), body.backup)
    console.log(`migrate-plugin: restored ${result.restored.name} from the page (${route.path})${result.warnings.length ? `\n${result.warnings.map((w) => `migrate-plugin: warning: ${clean(w)}`).join('\n')}` : ''}`)
    await route.rerun()
    return [200, {
      ok: true, restored: result.restored.name, safetyBackup: result.safetyBackup ? result.safetyBackup.split(/[\\/]/).pop() : null,
      undone: (result.undone ?? []).map((u) => ({ id: u.migrationId, status: u.status, description: clean(u.description) })), warnings: result.warnings.map(clean),
    }]
  } catch (error) {
    // A restore that failed may still have changed the database: the dev run shows where it stands.
    await route.rerun()
    return [409, { ok: false, error: errorView(error) }]
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  // A JSON body needs a CORS preflight from another site: one more wall behind Origin and the token.
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return {}
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY) return {}
    chunks.push(chunk)
  }
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : {}
  } catch {
    return {}
  }
}

let elk: string | undefined
function elkSource(): string {
  elk ??= readFileSync(createRequire(import.meta.url).resolve('elkjs/lib/elk.bundled.js'), 'utf8')
  return elk
}

const HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  // The confirm buttons must not be clickable through a foreign page's frame.
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'Referrer-Policy': 'no-referrer',
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { ...HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) })
  res.end(body)
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value))
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { ...HEADERS, Location: location })
  res.end()
}
