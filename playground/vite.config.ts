import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import migrate from '../plugin/vite.ts'
import { dataApi } from './api.ts'

// The playground runs on the repository's own model/ and migration.conf; the end-to-end test
// points it at a copy with PLAYGROUND_PROJECT_ROOT so that it can edit models freely.
const projectRoot = process.env.PLAYGROUND_PROJECT_ROOT ?? fileURLToPath(new URL('..', import.meta.url))

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // The playground exists to show auto-migration, so it applies even where CI is set (where the
  // default for dev would be check).
  plugins: [migrate({ root: projectRoot, dev: 'apply' }), dataApi(projectRoot)],
  server: { port: 5173 },
  logLevel: process.env.PLAYGROUND_PROJECT_ROOT ? 'silent' : 'info',
})
