import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { databaseLabel } from '../core/config.ts'
import { MigrateError, errorMessage } from '../core/errors.ts'
import { TOOL_VERSION } from '../core/version.ts'
import { migrate } from '../pipeline/migrate.ts'
import { prepare } from '../pipeline/prepare.ts'
import type { SchemaObject } from '../targets/target.ts'
import type { WritePlanOptions, WritePlanResult } from '../types.ts'
import { defaultSlug, renderPlan, slugOf } from './format.ts'
import { pendingPlanFiles } from './pending.ts'
import { shownPath } from './plan-file.ts'

export type { WritePlanOptions, WritePlanResult } from '../types.ts'

/**
 * `plan`: the run's check (which changes nothing), with the live schema read in the same session,
 * written out as a file a person reviews and edits before `apply --plan` runs it.
 */
export async function writePlan(options: WritePlanOptions = {}): Promise<WritePlanResult> {
  const { name, now, ...run } = options
  const slug = name === undefined ? undefined : slugOf(name)
  if (slug === '') throw new MigrateError('USAGE', `--name ${JSON.stringify(name)} has no letter or digit to name the file with`, { hint: 'give --name a few words, e.g. --name backfill_user_names' })
  let start: { fingerprint: string, objects: SchemaObject[] } | undefined
  // Prepared here: the file keeps the schema text the plan leads to.
  const prepared = await prepare(run)
  const result = await migrate({
    ...run,
    prepared,
    command: 'check',
    onSession: async (session) => { start = { fingerprint: await session.fingerprint(), objects: await session.schemaObjects() } },
  })
  const pendingPlans = await pendingPlanFiles(result.config)
  if (result.outcome !== 'pending' || !result.plan) return { outcome: 'in-sync', result, pendingPlans }
  if (!start) throw new MigrateError('INTERNAL', 'the plan was made without reading the database it starts from')
  const { config, plan } = result
  const dir = config.plansDirectory
  try {
    mkdirSync(dir, { recursive: true })
  } catch (error) {
    throw new MigrateError('OUTPUT', `cannot create the plans folder ${shownPath(config, dir)}: ${errorMessage(error)}`, { hint: 'check [migration] plans_directory and the folder\'s permissions; nothing was changed' })
  }
  const fileSlug = slug ?? defaultSlug(plan)
  // File-name order is apply order: a plan is never named before one already there, and never over one.
  let stamp = Math.max(Math.floor((now ?? new Date()).getTime() / 1000), ...readdirSync(dir).map(stampOf).filter((s) => s !== undefined).map((s) => s + 1))
  for (;;) {
    const path = join(dir, `${format(stamp)}_${fileSlug}.sql`)
    const text = renderPlan({
      plan, unexecutable: result.unexecutable,
      // What the check could not find out is said too: a reviewer must not read silence as "nothing lost".
      warnings: [...result.warnings, ...(result.previewError ? [`applying it as the models say would fail: ${result.previewError}`] : []), ...(result.lossCheckError ? [`what it would lose could not be checked: ${result.lossCheckError}`] : [])],
      header: { fingerprint: start.fingerprint, schemaHash: result.schemaHash, objects: start.objects, schema: prepared.schema.validatedText() },
      database: databaseLabel(config, (p) => shownPath(config, p)), toolVersion: TOOL_VERSION, plannedAt: now ?? new Date(),
      shownPath: shownPath(config, path),
    })
    try {
      writeFileSync(path, text, { flag: 'wx' })
      return { outcome: 'written', path, result, fingerprint: start.fingerprint, pendingPlans }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new MigrateError('OUTPUT', `cannot write the plan ${shownPath(config, path)}: ${errorMessage(error)}`, { hint: 'check the plans folder\'s permissions and free space; nothing was changed' })
      }
      stamp++
    }
  }
}

const format = (seconds: number) => new Date(seconds * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14)

/** The UTC second a plan file's name starts with. */
function stampOf(name: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})_/.exec(name)
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) / 1000 : undefined
}
