import { connectionUrl, type ResolvedConfig } from '../core/config.ts'
import { postgresTarget } from './postgres/target.ts'
import { parsePostgresLocation } from './postgres/url.ts'
import { sqliteTarget } from './sqlite/target.ts'
import type { Target } from './target.ts'

/** The one place the pipeline's database is chosen: by the URL's kind, every kind handled. */
export function targetFor(config: Pick<ResolvedConfig, 'databaseKind' | 'databasePath' | 'databaseUrl' | 'root'>): Target {
  const kind = config.databaseKind
  switch (kind) {
    case 'sqlite': return sqliteTarget(config.databasePath)
    case 'postgres':
    case 'pglite':
      return postgresTarget(parsePostgresLocation(connectionUrl(config), config.root))
    default: return unreachable(kind)
  }
}

function unreachable(kind: never): never {
  throw new Error(`no database target for ${String(kind)}`)
}
