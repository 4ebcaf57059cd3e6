import { request } from 'node:http'
import type { ViteDevServer } from 'vite'
import type { PluginOptions } from '../plugin/types.ts'

/** Shared by the migrate page's tests: a real vite dev server with the plugin, and raw HTTP requests to it. */

export interface Answer {
  status: number
  body: string
}

export interface Send {
  host?: string
  /** Connect to (and from) this address instead of 127.0.0.1. */
  address?: string
  port: number
  path: string
  method?: string
  headers?: Record<string, string>
  body?: string
}

/** A raw request, so that Host, Origin and the peer address are exactly what the test says. */
export function send(options: Send): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: options.address ?? '127.0.0.1', port: options.port, path: options.path, method: options.method ?? 'GET',
      headers: { ...(options.host !== undefined ? { Host: options.host } : {}), ...options.headers },
      ...(options.address ? { localAddress: options.address } : {}),
    }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    if (options.body !== undefined) req.write(options.body)
    req.end()
  })
}

export async function startServer(root: string, options: PluginOptions, host = '127.0.0.1'): Promise<{ server: ViteDevServer, port: number }> {
  const { createServer } = await import('vite')
  const { default: migrate } = await import('../plugin/vite.ts')
  const server = await createServer({ root, configFile: false, logLevel: 'silent', server: { port: 0, host }, plugins: [migrate(options)] })
  await server.listen()
  return { server, port: (server.httpServer!.address() as { port: number }).port }
}

/** The per-process token, as the page carries it. */
export function tokenOf(html: string): string {
  const settings = /name="migrate-settings" content="([^"]+)"/.exec(html)![1]!.replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)))
  return (JSON.parse(settings) as { token: string }).token
}
