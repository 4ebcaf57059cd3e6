// What the dev-loop and soak benchmarks share: a real Vite dev server with the built plugin in
// `dev: 'apply'` mode on the bench project, and the model file they edit (t0 lives in tables0.ts).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export async function startDevServer(root) {
  const { createServer } = await import('vite')
  const { default: migrate } = await import('../dist/vite.js')
  const server = await createServer({ root, configFile: false, logLevel: 'silent', server: { port: 0 }, plugins: [migrate({ dev: 'apply' })] })
  await server.listen()
  const file = join(root, 'model', 'tables0.ts')
  return { server, file, original: readFileSync(file, 'utf8') }
}
