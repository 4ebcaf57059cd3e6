import { databaseLabel, databaseMissing } from '../core/config.ts'
import { relative } from 'node:path'
import { MigrateError } from '../core/errors.ts'
import type { MigrateResult } from './migrate.ts'

/**
 * What a pending plan means for the next apply, in the words of where the user is: the CLI, a
 * build (CI), or a dev server — where a CLI flag is not the whole answer, since the run that
 * refused was started by the server, not by a command the user can add a flag to.
 */
/** How to get past a step the engine cannot run: one wording for apply's refusal, check and preview. */
export const UNEXECUTABLE_FIX = 'for a new required column, give it a .default(…) or make it nullable; for a column made required over NULLs, fill them first (UPDATE … SET column = … WHERE column IS NULL), or write the backfill into a reviewed plan (npx migrate-plugin plan)'

/**
 * With require_plans on, `apply` refuses a change no plan file covers: advice that names `apply`
 * would send the user to a refusal. Undefined when plans are not required.
 */
export function planRequiredAdvice(result: MigrateResult): string | undefined {
  return result.config.requirePlans ? 'require_plans is on: write the change as a reviewed plan (npx migrate-plugin plan), commit it, and apply it (npx migrate-plugin apply runs pending plans)' : undefined
}

export interface ApplyVerdict {
  /** apply refuses even with --accept-data-loss: unexecutable steps, or the push failed in preview. */
  refuses: boolean
  /** How to get past it. */
  fix: string
}

/**
 * Engine warnings that announce a step that may fail (and then roll back), not one that loses data:
 * apply runs them without --accept-data-loss, so check and builds must not call them data loss.
 */
const NOT_DATA_LOSS = [
  /^A unique constraint covering/i,
  /^The primary key for the .* table will be changed/i,
  // PostgreSQL: the enum is redefined and its columns cast to the new type; a row holding a removed
  // value fails the cast, and the transaction rolls back: nothing is lost either way.
  /^The values \[.*\] on the enum .* will be removed\. If these variants are still used in the database, this will fail\.$/i,
]

export function isDataLossWarning(warning: string): boolean {
  return !NOT_DATA_LOSS.some((pattern) => pattern.test(warning))
}

/** A warning line as check, preview and builds print it: data loss, or a step that may fail. */
export function warningLine(warning: string): string {
  return isDataLossWarning(warning) ? `! data loss: ${warning}` : `! may fail: ${warning}`
}

export function applyVerdict(result: Pick<MigrateResult, 'unexecutable' | 'previewError'>): ApplyVerdict {
  const refuses = result.unexecutable.length > 0 || !!result.previewError
  const fix = result.unexecutable.length > 0
    ? UNEXECUTABLE_FIX
    : 'fix the models (or the data, or the view or trigger named) first'
  return { refuses, fix }
}

/** The database as the user configured it: relative to the project when inside it. */
export function shownPath(result: Pick<MigrateResult, 'config'>): string {
  return databaseLabel(result.config, (path) => {
    const rel = relative(result.config.root, path)
    return rel && !rel.startsWith('..') ? rel : path
  })
}

export type Where = 'build' | 'dev'

/** How to accept a data loss from here. */
export function acceptDataLossHint(where: Where): string {
  return where === 'dev'
    ? 'to accept it, run `npx migrate-plugin apply --accept-data-loss` in a terminal (the dev server picks the change up), or set allowDataLoss: true in the plugin options (vite.config.ts) for this one change and remove it afterwards; nothing was changed'
    : 'to accept it, run `npx migrate-plugin apply --accept-data-loss` before the build (a deploy step), or give the plugin build: \'apply\' with allowDataLoss: true; nothing was changed'
}

/** The build error / warning / dev-server message for pending changes (check and warn modes). */
export function pendingMessage(result: MigrateResult, where: Where): string {
  const steps = result.plan?.steps ?? []
  const path = shownPath(result)
  const created = steps.filter((s) => s.kind === 'create table').length
  const verdict = applyVerdict(result)
  const head = !databaseMissing(result.config)
    ? `migrate-plugin: ${steps.length} pending change(s) in ${path}:`
    : `migrate-plugin: ${path} does not exist; ${created} table(s) would be created:`
  const advice = verdict.refuses
    ? `An apply would refuse this (the ✖ lines above): ${verdict.fix}.`
    : planRequiredAdvice(result) !== undefined
      ? `${planRequiredAdvice(result)}.`
    : result.warnings.some(isDataLossWarning)
      ? `Applying them loses data, so an apply refuses without consent: ${acceptDataLossHint(where)}.`
      : where === 'dev'
        ? 'Apply them with: npx migrate-plugin apply (or let the dev server apply them: dev: \'apply\')'
        : 'Apply them with: npx migrate-plugin apply (or let the build apply it: build: \'apply\')'
  return [
    head,
    ...steps.map((s) => `  + ${s.description}${s.file ? ` (${s.file})` : ''}`),
    ...result.warnings.map((w) => `  ${warningLine(w)}`),
    ...result.unexecutable.map((u) => `  ✖ cannot run: ${u}`),
    ...(result.previewError ? [`  ✖ apply would fail: ${result.previewError}`] : []),
    ...(result.lossCheckError ? [`  ! ${lossCheckLine(result.lossCheckError)}`] : []),
    advice,
  ].join('\n')
}

/**
 * A data-loss refusal raised by a bundler's run: the CLI's hint ("run again with
 * --accept-data-loss") names a command the user did not run. Other errors pass unchanged.
 */
export function inBundlerWords(error: unknown, where: Where): unknown {
  if (!(error instanceof MigrateError) || error.code !== 'GUARD_DATA_LOSS') return error
  // The generic "run again with --accept-data-loss" is replaced; a specific one (the enum refusal's
  // UPDATE to start from) is kept, and how to accept from here follows it.
  const generic = !error.hint || /^(if that is really what you want|this change drops rows)/.test(error.hint)
  const first = generic ? '' : `${error.hint}\n  Or, `
  return new MigrateError(error.code, error.message, {
    hint: `${first}${first ? acceptDataLossHint(where) : acceptDataLossHint(where).replace(/^to/, 'To')}`,
    ...(error.location ? { location: error.location } : {}),
    ...(error.step ? { step: error.step } : {}),
    ...(error.backupPath ? { backupPath: error.backupPath } : {}),
    cause: error,
  })
}

/** The line for a check that could not find out what an apply would lose: it must not pass for "nothing". */
export function lossCheckLine(reason: string): string {
  return `could not check what apply would lose (${reason}); run npx migrate-plugin preview to see it`
}
