import WebSocket from 'ws'
import type { PluginOptions } from '../plugin/types.ts'

/** What Vite's HMR socket sends a browser: reloads, and errors for the overlay. */
export interface HmrMessage {
  type: string
  err?: { message: string, id?: string, loc?: { file: string, line: number, column: number }, frame?: string, plugin?: string }
}

export interface DevServer {
  /** The page's address, for fetch(). */
  url: string
  /** Connects as a browser would; every message the socket receives lands in `messages`. */
  connect(): Promise<{ messages: HmrMessage[], close(): void }>
  close(): Promise<void>
}

/** A real `vite` dev server on a free port with the plugin, as the tests of the dev loop need it. */
export async function startDevServer(root: string, options: PluginOptions): Promise<DevServer> {
  const { createServer } = await import('vite')
  const { default: migrate } = await import('../plugin/vite.ts')
  const server = await createServer({ root, configFile: false, logLevel: 'silent', server: { port: 0, host: '127.0.0.1' }, plugins: [migrate(options)] })
  await server.listen()
  const { port } = server.httpServer!.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}/`,
    async connect() {
      const messages: HmrMessage[] = []
      const ws = new WebSocket(`ws://127.0.0.1:${port}/?token=${server.config.webSocketToken}`, 'vite-hmr')
      ws.on('message', (data) => messages.push(JSON.parse(data.toString()) as HmrMessage))
      await new Promise((resolve) => ws.once('open', resolve))
      return { messages, close: () => ws.close() }
    },
    close: () => server.close(),
  }
}
