import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, relative } from 'node:path'
import type { DiscoveredModels } from '../model/discover.ts'
import { loadConfig, type ResolvedConfig } from '../core/config.ts'
import { MigrateError, errorMessage } from '../core/errors.ts'
import { isNoSpace, noSpaceError } from '../core/diskfull.ts'
import { checkOutputs, checkSchemaTarget } from '../core/outputs.ts'
import type { GeneratedSchema } from '../schema/generate.ts'
import type { MigrateOptions } from './options.ts'

/** Everything the pipeline knows before it touches the database. */
export interface Prepared {
  config: ResolvedConfig
  models: DiscoveredModels
  schema: GeneratedSchema
}

export type PrepareOptions = Pick<MigrateOptions, 'root' | 'config' | 'overrides' | 'env'>

export function configFor(options: PrepareOptions): ResolvedConfig {
  return loadConfig({
    ...(options.root ? { root: options.root } : {}),
    ...(options.config ? { configFile: options.config } : {}),
    ...(options.overrides ? { overrides: options.overrides } : {}),
    ...(options.env ? { env: options.env } : {}),
  })
}

/** config → models → schema text: the steps before any database is opened. */
export async function prepare(options: PrepareOptions, config = configFor(options)): Promise<Prepared> {
  // The one place every run passes before its first write (migrate, generate, status, the plugin).
  checkOutputs(config)
  // Loaded here, not at the top: a run that ends on the fast path never needs the loader or the generator.
  const [{ discoverModels }, { generateSchema }, { renameHints }] = await Promise.all([import('../model/discover.ts'), import('../schema/generate.ts'), import('./renames.ts')])
  const provider = config.databaseKind === 'sqlite' ? 'sqlite' : 'postgresql'
  const models = await discoverModels(config.modelDirectory, config.root, { timeoutMs: config.loadTimeout * 1000, provider })
  const fragmentModels = models.fragments.flatMap((f) => f.blocks.filter((b) => b.kind === 'model'))
  if (models.tables.length === 0 && fragmentModels.length === 0) {
    throw new MigrateError('NO_MODELS', `no models found in ${relative(config.root, config.modelDirectory) || '.'}/ — refusing to run, so that no table is dropped or reported missing by mistake`, {
      hint: 'export table(\'name\', { … }) from a .ts/.js file there (or add a .prisma fragment), or point [migration] model_directory at your models',
    })
  }
  const clientOutput = relative(dirname(config.schemaOutput), config.clientOutput).split('\\').join('/')
  const schema = generateSchema(models, { clientOutput, dropUnmodelledTables: config.dropUnmodelledTables, provider })
  // A model error, whatever the database holds (two models claiming one old table, …).
  renameHints(models)
  return { config, models, schema }
}

/** Write the generated schema when its bytes differ (so watchers are not woken for nothing). */
export function writeSchema(config: ResolvedConfig, schema: GeneratedSchema): boolean {
  const path = config.schemaOutput
  // Formatting and validation run on the first validatedText(): a model error must surface as itself, against
  // the model file, not as a write failure — so the text is made before the file is touched.
  const text = schema.validatedText()
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return false
  checkSchemaTarget(config)
  try {
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, text)
  } catch (error) {
    if (isNoSpace(error, path)) throw noSpaceError(path, 'writing the generated schema', error)
    throw new MigrateError('OUTPUT', `cannot write the generated schema to ${path}: ${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}`, {
      hint: 'check the permissions of that folder, or set [migration] schema_output in migration.conf',
    })
  }
  return true
}
