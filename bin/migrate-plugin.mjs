#!/usr/bin/env node
// In a checkout the TypeScript sources run directly (through jiti); a published package runs dist/.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const source = fileURLToPath(new URL('../plugin/cli.ts', import.meta.url))
let cli
if (existsSync(source)) {
  const { createJiti } = await import('jiti')
  cli = await createJiti(import.meta.url, { fsCache: true }).import(source)
} else {
  cli = await import('../dist/cli.js')
}
process.exitCode = await cli.main(process.argv.slice(2))
