import { MigrateError } from '../../core/errors.ts'
import { defineCommand, commonOptions } from '../command.ts'
import { printJson } from '../json.ts'
import { c, out, rel, statusIcon } from '../print.ts'

export const history = defineCommand({
  name: 'history',
  description: 'Migration history, newest first',
  common: true,
  options: [['--limit <n>', 'How many entries', { default: 20 }]],
  async handler(_args, flags) {
    const limit = Number(flags.limit)
    if (!Number.isSafeInteger(limit) || limit < 1) throw new MigrateError('USAGE', `--limit ${flags.limit} is not a positive whole number`)
    const { history: historyEntries } = await import('../../pipeline/inspect.ts')
    const { entries } = await historyEntries({ ...commonOptions(flags), limit })
    if (flags.json) return printJson({ ok: true, command: 'history', entries })
    if (entries.length === 0) {
      out('No migrations recorded yet. Run: npx migrate-plugin apply')
      return
    }
    out(c.bold('Migration history (newest first)'))
    for (const e of entries) {
      out(`${statusIcon(e.status)} ${e.finishedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}  ${e.status}  ${e.description}  ${c.dim(`${e.durationMs} ms · ${e.trigger} · ${e.migrationId}`)}`)
      for (const s of e.steps) out(`    ${s.description}${s.file ? c.dim(` (${s.file})`) : ''}`)
      if (e.error) out(c.red(`    error (${e.failedStep}): ${e.error}`))
      if (e.backupPath) out(c.dim(`    backup: ${rel(e.backupPath)}`))
    }
  },
})
