import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { ResolvedConfig } from '../core/config.ts'
import type { MigrateResult } from './migrate.ts'
import { MigrateError } from '../core/errors.ts'

/**
 * Regenerate the Prisma Client from the generated schema, offline. `prisma generate` only wants a
 * schema-engine binary to exist (it downloads one otherwise, which fails without network);
 * pointing PRISMA_SCHEMA_ENGINE_BINARY at any existing file is Prisma's documented escape hatch
 * for custom engines, and generation itself never runs it.
 */
export interface ClientGeneration {
  /** Why it ran or did not: not installed, disabled, up to date, generated. */
  state: 'not-installed' | 'disabled' | 'generated'
  output?: string
  durationMs?: number
}

/** The project's own prisma CLI, when it has both `prisma` and `@prisma/client`. */
export function findPrismaCli(root: string): string | undefined {
  const require = createRequire(join(root, 'package.json'))
  try {
    require.resolve('@prisma/client/package.json')
    const pkg = require.resolve('prisma/package.json')
    const cli = join(dirname(pkg), 'build', 'index.js')
    return existsSync(cli) ? cli : undefined
  } catch {
    return undefined
  }
}

/**
 * After an apply (CLI or plugin): regenerate when the apply changed the schema, or when the client
 * was never generated; `generate_client = false` turns it off.
 */
export async function regenerateClientAfterApply(result: MigrateResult): Promise<ClientGeneration | undefined> {
  const { config } = result
  if (!config.generateClient) return { state: 'disabled' }
  if (result.outcome !== 'applied' && existsSync(config.clientOutput)) return undefined
  return generateClient(config)
}

export async function generateClient(config: ResolvedConfig): Promise<ClientGeneration> {
  const cli = findPrismaCli(config.root)
  if (!cli) return { state: 'not-installed' }
  const started = performance.now()
  const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' }
  const output = await new Promise<{ code: number | null, text: string }>((resolve) => {
    const child = spawn(process.execPath, [cli, 'generate', '--schema', config.schemaOutput], { cwd: config.root, env })
    let text = ''
    child.stdout.on('data', (d: Buffer) => { text += d.toString() })
    child.stderr.on('data', (d: Buffer) => { text += d.toString() })
    child.on('close', (code) => resolve({ code, text }))
  })
  if (output.code !== 0) {
    throw new MigrateError('ENGINE', `prisma generate failed: ${output.text.trim().split('\n').slice(-3).join(' ')}`, {
      hint: 'the database was migrated; only the Prisma Client is stale. Run `npx prisma generate` to see the full error',
    })
  }
  return { state: 'generated', output: config.clientOutput, durationMs: performance.now() - started }
}
