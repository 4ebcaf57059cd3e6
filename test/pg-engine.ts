import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils'
import { loadEngineModule } from '../plugin/engine/schema-engine.ts'
import { errorMessage } from '../plugin/core/errors.ts'
import { engineConnection, type EngineConnection } from '../plugin/targets/postgres/engine-adapter.ts'
import type { PostgresLocation } from '../plugin/targets/postgres/url.ts'

/** The wasm schema engine on a Postgres target, driven the way openEngineSession drives it on SQLite. */

export const DATASOURCE = 'datasource db {\n  provider = "postgresql"\n}\n'

export interface PgEngine {
  diff(schema: string): Promise<string>
  push(schema: string, force?: boolean): Promise<{ executedSteps: number, warnings: string[], unexecutable: string[] }>
  session: EngineConnection
}

const files = (schema: string) => ({ files: [{ path: 'schema.prisma', content: schema }] })

/**
 * Open the engine on one engineConnection, run `fn`, then end the transaction as `how` says (or as
 * `fn` returns). The engine is always freed and the connection always closed.
 */
export async function withEngine<T>(location: PostgresLocation, how: 'COMMIT' | 'ROLLBACK', fn: (e: PgEngine) => Promise<T>, options: { begin?: boolean, externalTables?: string[] } = {}): Promise<T> {
  const filters = { externalTables: options.externalTables ?? [], externalEnums: [] as string[] }
  const bg = await loadEngineModule()
  const session = await engineConnection(location, { begin: options.begin ?? true })
  const bound = bindMigrationAwareSqlAdapterFactory(session.factory)
  const real = (error: unknown): Error => {
    const id = /External error id#(\d+)/.exec(errorMessage(error))
    const record = id ? bound.errorRegistry.consumeError(Number(id[1])) : undefined
    if (!record) return error as Error
    const e = record.error as { message?: string, originalMessage?: string }
    return new Error(e.originalMessage ?? e.message ?? JSON.stringify(record.error))
  }
  let engine: Awaited<ReturnType<typeof bg.SchemaEngine.new>> | undefined
  try {
    engine = await bg.SchemaEngine.new({ datamodels: undefined }, () => {}, bound)
    const e = engine
    const api: PgEngine = {
      session,
      async diff(schema) {
        try {
          const result = await e.diff({
            from: { tag: 'schemaDatasource', ...files(DATASOURCE), configDir: process.cwd() },
            to: { tag: 'schemaDatamodel', ...files(schema) },
            script: true,
            exitCode: true,
            filters,
          } as Parameters<typeof e.diff>[0])
          return result.exitCode === 2 ? (result.stdout ?? '') : ''
        } catch (error) {
          throw real(error)
        }
      },
      async push(schema, force = false) {
        try {
          return await e.schemaPush({ schema: files(schema), force, filters } as Parameters<typeof e.schemaPush>[0])
        } catch (error) {
          throw real(error)
        }
      },
    }
    return await fn(api)
  } finally {
    try { engine?.free() } catch { /* a poisoned instance throws even here */ }
    await session.end(how)
  }
}

/** `count` models, each a table with a few columns and an index: a schema of realistic shape. */
export function modelsSchema(count: number, extra = ''): string {
  let text = DATASOURCE
  for (let i = 0; i < count; i++) {
    text += `model T${i} {\n  id Int @id @default(autoincrement())\n  name String\n  email String @unique\n  score Int @default(0)\n  createdAt DateTime @default(now())\n  @@index([name])\n}\n`
  }
  return text + extra
}
