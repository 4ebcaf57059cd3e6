import type { ResolvedConfig } from '../core/config.ts'
import { migrate } from '../pipeline/migrate.ts'
import type { MigrateOptions } from '../pipeline/options.ts'
import { configFor } from '../pipeline/prepare.ts'
import type { MigrateResult } from '../types.ts'
import { loadPlanFile } from './plan-file.ts'

/**
 * Apply a reviewed plan file as written (see `npx migrate-plugin plan`): a relative path is taken
 * from `root` (default: the working folder).
 */
export async function applyPlanFile(file: string, options: Omit<MigrateOptions, 'command'> = {}, config: ResolvedConfig = configFor(options)): Promise<MigrateResult> {
  const planFile = loadPlanFile(file, config, options.root ?? process.cwd())
  return migrate({ ...options, command: 'apply', planFile })
}
