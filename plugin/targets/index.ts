import { connectionUrl, type ResolvedConfig } from '../core/config.ts'
import { MigrateError, errorMessage } from '../core/errors.ts'
import { sqliteTarget } from './sqlite/target.ts'
import { backupFolders, listBackups } from './sqlite/backup.ts'
import { listPostgresBackups } from './postgres/backup-files.ts'
import { parsePostgresLocation } from './postgres/url.ts'
import type { BackupFile } from '../types.ts'
import type { Target } from './target.ts'

type TargetConfig = Pick<ResolvedConfig, 'databaseKind' | 'databasePath' | 'databaseUrl' | 'root'>

/**
 * The one place the pipeline's database is chosen: by the URL's kind, every kind handled.
 * PostgreSQL's target is loaded only when a URL asks for it: its drivers are optional peers that a
 * SQLite project never installs, and a SQLite run never pays for loading them.
 */
export async function targetFor(config: TargetConfig): Promise<Target> {
  const kind = config.databaseKind
  switch (kind) {
    case 'sqlite': return sqliteTarget(config.databasePath)
    case 'postgres':
    case 'pglite': {
      const { postgresTarget } = await loadPostgres(kind)
      return postgresTarget(parsePostgresLocation(connectionUrl(config), config.root))
    }
    default: return unreachable(kind)
  }
}

async function loadPostgres(kind: 'postgres' | 'pglite') {
  try {
    const { postgresTarget } = await import('./postgres/target.ts')
    return { postgresTarget }
  } catch (error) {
    const packages = kind === 'postgres' ? 'pg @prisma/adapter-pg@7.10.0' : 'pg @prisma/adapter-pg@7.10.0 @electric-sql/pglite pglite-prisma-adapter'
    throw new MigrateError('CONFIG', `a ${kind === 'postgres' ? 'PostgreSQL' : 'PGlite'} database needs driver packages that cannot be loaded: ${errorMessage(error)}`, {
      hint: `install them in this project: npm install -D ${packages}`,
      cause: error,
    })
  }
}

/**
 * This database's backups, newest first. Listing them reads only the backup folder, so it needs
 * no driver (and stays synchronous for the `backups` command).
 */
export function backupFilesOf(config: ResolvedConfig): BackupFile[] {
  const kind = config.databaseKind
  switch (kind) {
    case 'sqlite': return listBackups(config.databasePath, backupFolders(config))
    case 'postgres':
    case 'pglite':
      return listPostgresBackups(config.backupDirectory, parsePostgresLocation(connectionUrl(config), config.root))
    default: return unreachable(kind)
  }
}

function unreachable(kind: never): never {
  throw new Error(`no database target for ${String(kind)}`)
}
