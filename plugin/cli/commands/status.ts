import { databaseLabel } from '../../core/config.ts'
import { defineCommand, commonOptions } from '../command.ts'
import { printJson, runResultJson } from '../json.ts'
import { c, out, printSteps, rel, statusIcon } from '../print.ts'

export const status = defineCommand({
  name: 'status',
  description: 'Config, models per file, tables, pending changes, last migration',
  common: true,
  async handler(_args, flags) {
    const { status: statusReport } = await import('../../pipeline/inspect.ts')
    const report = await statusReport(commonOptions(flags))
    if (flags.json) return printJson({ ok: true, command: 'status', ...report, pending: runResultJson(report.pending) })
    const cfg = report.config
    out(`${c.bold('config')}    ${cfg.configFile ? rel(cfg.configFile) : '(none: defaults)'}`)
    out(`${c.bold('database')}  ${databaseLabel(cfg, rel)}${report.databaseExists ? '' : c.yellow(' (does not exist yet)')}${cfg.databaseUrlSource === 'env' ? ' (from DATABASE_URL)' : ''}`)
    out(`${c.bold('models')}    ${rel(cfg.modelDirectory)}/`)
    for (const m of report.models) out(`  ${m.file}: ${m.tables.join(', ')}`)
    out(c.bold('tables'))
    if (report.tables.length === 0) out('  (none)')
    for (const t of report.tables) out(`  ${t.name} ${c.dim(`${t.rows} rows`)}${t.file ? '' : c.yellow('  unmodelled: no model defines it; left alone')}`)
    const p = report.pending
    if (p.outcome === 'pending' && p.plan) {
      out(c.bold(`pending   ${p.plan.steps.length} change(s)`))
      printSteps(p.plan)
      out(`next: ${c.cyan('npx migrate-plugin preview')} to see the SQL, ${c.cyan('npx migrate-plugin apply')} to apply`)
    } else {
      out(`${c.bold('pending')}   ${c.green('none: the database matches the models')}`)
    }
    if (report.pendingPlans.length) out(`${c.bold('plans')}     ${c.yellow(`${report.pendingPlans.length} not yet applied`)}: ${report.pendingPlans.map(rel).join(', ')} (${c.cyan('npx migrate-plugin apply')} runs them first)`)
    const last = report.lastMigration
    out(`${c.bold('last run')}  ${last ? `${statusIcon(last.status)} ${last.finishedAt} ${last.description}` : '(none)'}`)
  },
})
