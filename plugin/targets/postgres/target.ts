import { MigrateError } from '../../core/errors.ts'
import type { Target } from '../target.ts'

export type PostgresPlace = { kind: 'postgres', url: string, label: string } | { kind: 'pglite', dataDir: string, label: string }

export function postgresTarget(place: PostgresPlace): Target {
  throw new MigrateError('CONFIG', `${place.label}: PostgreSQL is not wired yet`)
}
