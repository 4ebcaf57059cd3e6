import { readdirSync, statSync } from 'node:fs'
import { extname, join, sep } from 'node:path'
import { MigrateError } from '../core/errors.ts'

// Apart from discover.ts: the fast path stamps the model files without loading the loader.

const CODE_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'])

/** Every model file under `modelDir`, sorted so that the generated schema does not depend on readdir order. */
export function listModelFiles(modelDir: string): string[] {
  let stat
  try {
    stat = statSync(modelDir)
  } catch {
    throw new MigrateError('NO_MODELS', `the model directory ${modelDir} does not exist`, {
      hint: 'create it and put your table() definitions there, or set [migration] model_directory in migration.conf',
    })
  }
  if (!stat.isDirectory()) throw new MigrateError('NO_MODELS', `the model directory ${modelDir} is not a directory`)
  const entries = readdirSync(modelDir, { recursive: true, encoding: 'utf8' })
  return entries
    .filter((entry) => !entry.split(sep).some((part) => part.startsWith('.') || part === 'node_modules'))
    .filter((entry) => {
      const ext = extname(entry)
      if (entry.endsWith('.d.ts') || entry.endsWith('.d.mts')) return false
      return CODE_EXTENSIONS.has(ext) || ext === '.prisma'
    })
    .map((entry) => join(modelDir, entry))
    .filter((file) => statSync(file).isFile())
    .sort()
}

