import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { ResolvedConfig } from '../core/config.ts'
import { MigrateError } from '../core/errors.ts'
import type { MigrateOptions } from '../pipeline/options.ts'
import { configFor } from '../pipeline/prepare.ts'
import { targetFor } from '../targets/index.ts'
import type { MigrateResult, Plan } from '../types.ts'
import { loadPlanFile, planHash, planOfRecord, planText, shownPath } from './plan-file.ts'

/**
 * Deploying is `apply`: the plan files not yet applied run first, in file-name order (their names
 * start with the UTC time they were written), each in its own run with its own backup, transaction
 * and history row; then whatever the models still want, declaratively — unless require_plans is on,
 * in which case a change no plan covers is refused. A dev server passes pendingPlans: false.
 */

/** The plan files in the plans folder, by name (which is their order). */
export function planFileNames(config: ResolvedConfig): string[] {
  const dir = config.plansDirectory
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return []
  return readdirSync(dir).filter((name) => name.endsWith('.sql') && statSync(join(dir, name)).isFile()).sort()
}

/** The plans this database ran, by file name (the newest run of a name wins), and their hashes. */
async function plansRun(config: ResolvedConfig): Promise<Map<string, string>> {
  const ran = new Map<string, string>()
  for (const record of await (await targetFor(config)).readHistory(config.historyTable, Number.MAX_SAFE_INTEGER)) {
    const plan = record.status === 'success' ? planOfRecord(record) : undefined
    if (plan && !ran.has(plan.name)) ran.set(plan.name, plan.sha256)
  }
  return ran
}

/** For `status`: the paths of plan files whose name this database has not run (never an error). */
export async function pendingPlanNames(config: ResolvedConfig): Promise<string[]> {
  const names = planFileNames(config)
  if (names.length === 0) return []
  const ran = await plansRun(config)
  return names.filter((name) => !ran.has(name)).map((name) => join(config.plansDirectory, name))
}

/** Plan files the database has not run yet; a file changed after it ran is an error (its history no longer says what ran). */
export async function pendingPlanFiles(config: ResolvedConfig): Promise<string[]> {
  const names = planFileNames(config)
  if (names.length === 0) return []
  const ran = await plansRun(config)
  const pending: string[] = []
  for (const name of names) {
    const path = join(config.plansDirectory, name)
    const recorded = ran.get(name)
    if (recorded === undefined) {
      pending.push(path)
      continue
    }
    const now = planHash(planText(readFileSync(path)))
    if (now !== recorded) {
      throw new MigrateError('PLAN', `${shownPath(config, path)} was changed after it was applied (applied with sha256 ${recorded.slice(0, 12)}…, the file is now ${now.slice(0, 12)}…); nothing was changed`, {
        location: { file: path },
        hint: 'put the file back as it was applied (from version control; `npx migrate-plugin history` shows its SQL), and write a new plan for any further change',
      })
    }
  }
  return pending
}

export async function withPendingPlans(options: MigrateOptions, declarative: (options: MigrateOptions) => Promise<MigrateResult>): Promise<MigrateResult> {
  const config = options.prepared?.config ?? configFor(options)
  // The common case (no plans folder) costs one stat: the fast path stays fast.
  if (!config.requirePlans && planFileNames(config).length === 0) return declarative(options)
  const ran: MigrateResult[] = []
  const notes: string[] = []
  for (const path of await pendingPlanFiles(config)) {
    const result = await declarative({ ...options, planFile: loadPlanFile(path, config), skipAppliedPlan: true })
    if (result.outcome === 'applied') ran.push(result)
    else notes.push(...(result.postCommitWarnings ?? []))
  }
  let rest: MigrateResult
  if (config.requirePlans) {
    const check = await declarative({ ...options, command: 'check' })
    if (check.outcome === 'pending' && check.plan) throw uncovered(check.plan, ran.length)
    try {
      // Confirmed as "no change": a change that appeared since the check is refused, not applied.
      rest = await declarative({ ...options, confirmedSql: '', confirmedSteps: [] })
    } catch (error) {
      if (error instanceof MigrateError && error.code === 'GUARD_NOT_CONFIRMED') throw uncovered(undefined, ran.length)
      throw error
    }
  } else {
    rest = await declarative(options)
  }
  const result = ran.length === 0 ? rest : combined(ran, rest)
  return notes.length ? { ...result, postCommitWarnings: [...notes, ...(result.postCommitWarnings ?? [])] } : result
}

function uncovered(plan: Plan | undefined, applied: number): MigrateError {
  const steps = plan ? `: ${plan.steps.map((s) => `${s.description}${s.file ? ` (${s.file})` : ''}`).join('; ')}` : ''
  return new MigrateError('GUARD_PLAN_REQUIRED', `require_plans is on, and ${plan ? `${plan.steps.length} change(s)` : 'a change'} to the models no plan file covers${steps}; ${applied ? `the ${applied} pending plan(s) were applied, the rest was not` : 'nothing was changed'}`, {
    step: 'guard',
    hint: 'write a plan for it with `npx migrate-plugin plan`, review it and commit it; `npx migrate-plugin apply` (or the build) then runs it',
  })
}

/** One result for the whole deploy: the plans' runs, then the models' own run. */
function combined(ran: MigrateResult[], rest: MigrateResult): MigrateResult {
  const all = rest.outcome === 'applied' ? [...ran, rest] : ran
  const plans = ran.flatMap((r) => r.plans ?? [])
  // The history keeps each plan's full mark (name and hash); a one-line summary needs only the name.
  const steps = all.flatMap((r) => r.plan?.steps ?? []).map((s) => (s.kind === 'plan file' ? { ...s, description: s.description.replace(/^plan file (.+) \(sha256 [0-9a-f]{64}\)$/, 'ran the plan $1') } : s))
  const backupPath = ran.find((r) => r.backupPath)?.backupPath
  const postCommitWarnings = all.flatMap((r) => r.postCommitWarnings ?? [])
  return {
    ...rest,
    outcome: 'applied',
    plan: { steps, sql: all.map((r) => r.plan?.sql ?? '').filter(Boolean).join('\n\n'), tables: [...new Set(all.flatMap((r) => r.plan?.tables ?? []))] },
    warnings: all.flatMap((r) => r.warnings),
    deletedBackups: all.flatMap((r) => r.deletedBackups),
    plans,
    ...(backupPath ? { backupPath } : {}),
    ...(all[all.length - 1]?.migrationId ? { migrationId: all[all.length - 1]!.migrationId! } : {}),
    ...(postCommitWarnings.length ? { postCommitWarnings } : {}),
    durationMs: all.reduce((sum, r) => sum + r.durationMs, 0),
  }
}
