import { crashPoint } from '../core/crash.ts'
import { MigrateError, errorMessage } from '../core/errors.ts'
import { buildPlan } from '../pipeline/plan.ts'
import { backupThenApplyStep, recordAndCommit, type Recorder, type RunState, type SessionRun } from '../pipeline/run.ts'
import type { SchemaObject } from '../targets/target.ts'
import type { MigrateResult, Plan } from '../types.ts'
import { describeMoves } from './format.ts'
import { planOfRecord, planStepMark, type PlanFile } from './plan-file.ts'
import { withoutLeadingComments } from './statements.ts'

/**
 * `apply --plan`: the reviewed file, run as written — the review is the consent, so no data-loss
 * refusal and no question — inside the same session as any apply: the lock is held, then backup,
 * the statements one by one in the one transaction, what a rebuild takes away put back, the
 * verification that the database now matches the models (and breaks no foreign key), the history
 * row, COMMIT. Any failure is rolled back by the caller (run.ts) and recorded there.
 */
export async function applyPlanInSession(run: SessionRun, file: PlanFile, state: RunState, record: Recorder): Promise<MigrateResult> {
  const { session, target, options, done } = run
  const { config, schema } = run.prepared
  state.step = 'guard'
  const applied = (await target.readHistory(config.historyTable, Number.MAX_SAFE_INTEGER))
    .find((r) => r.status === 'success' && planOfRecord(r)?.name === file.name && planOfRecord(r)?.sha256 === file.sha256)
  if (applied) {
    // Another deploy of the same plans got there first: nothing left to do.
    if (options.skipAppliedPlan) return done({ outcome: 'in-sync' })
    throw new MigrateError('GUARD_PLAN_APPLIED', `the plan ${file.shown} was already applied (${applied.finishedAt}, history ${applied.migrationId}); nothing was changed`, {
      step: 'guard', location: { file: file.path }, hint: 'nothing to do; `npx migrate-plugin history` shows the run. To change the database further, edit the models and write a new plan',
    })
  }
  const fingerprint = await session.fingerprint()
  if (fingerprint !== file.header.fingerprint) {
    const moves = describeMoves(file.header.objects, await session.schemaObjects())
    const reached = (await session.diff(file.header.schema)).trim() === ''
    // A deploy finding a database that already has the plan's schema (a dev database the dev
    // server migrated declaratively) records the plan as reached instead of stopping on it for ever.
    if (reached && options.skipAppliedPlan) return await recordReached(run, file, state, record)
    throw new MigrateError('GUARD_PLAN_MOVED', `the database is no longer where the plan ${file.shown} started: ${moves.length ? moves.join('; ') : 'its schema fingerprint differs'}${reached ? ' (it already has the schema the plan leads to)' : ''}; nothing was changed`, {
      step: 'guard', location: { file: file.path },
      hint: `write a new plan against the database as it is now (\`npx migrate-plugin plan\`), carry your edits over, and delete ${file.shown} (every \`apply\` runs the plan files left in the plans folder); or, if the move was a mistake, put the database back (\`npx migrate-plugin restore\`)`,
    })
  }

  // The steps in words, read from the file as it is (its engine sections), for the guard, the history and the output.
  const described = buildPlan(file.text, schema.owners, await session.liveSchema())
  // The first step names the file: a failed run's history row (written by run.ts) says which plan it was.
  const plan: Plan = { steps: [{ kind: 'plan file', table: '', description: planStepMark(file), sql: [], file: file.shown }, ...described.steps], sql: file.text, tables: described.tables }
  state.plan = plan

  await backupThenApplyStep(run, state)
  const guard = await session.guardPush(plan)
  const objectsBefore = await session.schemaObjects()
  for (const statement of file.statements) {
    try {
      await session.exec(statement.sql)
    } catch (error) {
      const first = statement.sql.split('\n').find((l) => l.trim() !== '' && !l.trim().startsWith('--'))?.trim() ?? statement.sql
      throw new MigrateError('APPLY', `${file.shown}:${statement.line}: the statement \`${first.length > 100 ? `${first.slice(0, 100)}…` : first}\` failed: ${errorMessage(run.target.describeError(error))}`, {
        location: { file: file.path, line: statement.line },
        hint: `fix that statement in ${file.shown} (or the data it needs), then apply the plan again`,
        cause: error,
      })
    }
  }
  await guard.finish()
  // The review is the consent, but what the plan does beyond the models must still be said: the
  // verification below sees only what the models own.
  const beyond = await beyondTheModels(run, file, objectsBefore)

  // --- verify: always, whatever auto_verify says: "leads to the models" is what the plan claims ---
  crashPoint('after-push')
  state.step = 'verify'
  run.progress(state.step, state.backupPath)
  // The plan leads to the schema it was planned for. When that is still the models' (the usual
  // case), the whole check of an apply runs, what the engine cannot see included; an earlier plan
  // of several (a deploy catching up) is checked against the schema the file keeps.
  const leadsToModels = file.header.schemaHash === schema.hash
  const remaining = await session.diff(leadsToModels ? schema.validatedText() : file.header.schema)
  const left = buildPlan(remaining, schema.owners, await session.liveSchema())
  const extra = leadsToModels ? (await session.findings(remaining, left)).extraSteps : []
  const differs = [...left.steps, ...extra].map((s) => `${s.description}${s.file ? ` (${s.file})` : ''}`)
  if (remaining.trim() !== '' || extra.length > 0) {
    throw new MigrateError('VERIFY', `after the plan ${file.shown}, the database still differs from ${leadsToModels ? 'the models' : 'the schema the plan leads to (its --| lines)'}: ${differs.join('; ') || remaining.trim()}`, {
      step: 'verify', location: { file: file.path },
      hint: `edit ${file.shown} so that it leads to the models (or write it again with \`npx migrate-plugin plan\`); the change was rolled back`,
    })
  }
  await guard.verify()

  // --- record ---
  crashPoint('after-verify')
  state.step = 'record'
  run.progress(state.step, state.backupPath)
  const words = described.steps.map((s) => s.description)
  const migration = record({
    status: 'success',
    description: `plan ${file.name}${words.length ? `: ${words.join('; ')}` : ''}`,
    steps: plan.steps.map((s) => ({ description: s.description, table: s.table, ...(s.file ? { file: s.file } : {}) })),
    sql: file.text,
    warnings: beyond,
    // What the database now matches: the plan's schema, which is the models' unless they moved on.
    schemaHash: file.header.schemaHash,
    dbFingerprint: await session.fingerprint(),
  })
  const committed = await recordAndCommit(run, state, migration)
  return done({
    outcome: 'applied', plan, warnings: beyond, ...committed,
    plans: [{ file: file.path, sha256: file.sha256, migrationId: migration.migrationId, ...(state.backupPath ? { backupPath: state.backupPath } : {}) }],
  })
}

/** The plan is not run (its SQL may hold data changes: said in the warning), and recorded so that it is no longer pending. */
async function recordReached(run: SessionRun, file: PlanFile, state: RunState, record: Recorder): Promise<MigrateResult> {
  const { session, done } = run
  const note = `the plan ${file.shown} was not run: the database already had the schema it leads to (migrated without it); any data changes in it (UPDATEs) did not run either`
  state.step = 'record'
  const migration = record({
    status: 'success',
    description: `plan ${file.name}: not run, the database already had its schema`,
    steps: [{ description: planStepMark(file), table: '', file: file.shown }],
    sql: file.text,
    warnings: [note],
    schemaHash: file.header.schemaHash,
    dbFingerprint: await session.fingerprint(),
  })
  await session.writeHistory(migration)
  await session.commit()
  state.settled = true
  return done({ outcome: 'in-sync', migrationId: migration.migrationId, postCommitWarnings: [note] })
}

/**
 * What the plan did that no model step says: tables (or views) it dropped, added or changed that
 * the models do not own — a hand-written `DROP TABLE audit` passes the verification, which compares
 * the database with the models only — and the statements that delete rows.
 */
async function beyondTheModels(run: SessionRun, file: PlanFile, objectsBefore: SchemaObject[]): Promise<string[]> {
  const owned = new Set(run.prepared.schema.owners.map((o) => `table ${o.table}`.toLowerCase()))
  const moved = describeMoves(objectsBefore, await run.session.schemaObjects())
    .filter((move) => {
      const object = move.replace(/ (was added|changed|was removed)$/, '').toLowerCase()
      return !owned.has(object) && !object.startsWith('enum ')
    })
    .map((move) => `the plan's SQL: ${move} (no model says so)`)
  const deletes = file.statements
    .map((s) => ({ line: s.line, sql: withoutLeadingComments(s.sql) }))
    .filter((s) => /^(DELETE|TRUNCATE)\b/i.test(s.sql))
    .map((s) => `the plan's SQL deletes rows: ${file.shown}:${s.line}: ${s.sql.split('\n')[0]!.trim().slice(0, 100)}`)
  return [...moved, ...deletes]
}
