import { ask, canAsk } from '../ask.ts'
import { defineCommand, commonOptions } from '../command.ts'
import { backupFileJson, printJson } from '../json.ts'
import { c, out, printWarnings, rel } from '../print.ts'

export const restore = defineCommand({
  name: 'restore [backup]',
  description: 'Replace the database with a backup (the newest by default)',
  common: true,
  examples: [
    'npx migrate-plugin restore',
    'npx migrate-plugin restore dev.db.backup_20261124_143022Z_3f9a1c2b4d5e --yes',
  ],
  async handler([backup], flags) {
    const { restore: restoreBackup } = await import('../../pipeline/inspect.ts')
    const result = await restoreBackup({
      ...commonOptions(flags),
      ...(backup ? { backup } : {}),
      ...(flags.yes ? { yes: true } : {}),
      ...(canAsk() ? { confirm: (b, database) => ask(`Replace ${rel(database)} with ${b.name}?`) } : {}),
    })
    if (flags.json) return printJson({ ok: true, command: 'restore', ...result, restored: backupFileJson(result.restored) })
    out(`${c.green('✔')} restored ${result.restored.name} (checked: the database now holds the backup's schema and rows)`)
    if (result.undone?.length) for (const u of result.undone) out(c.dim(`  undid ${u.migrationId} (${u.status}): ${u.description}`))
    if (result.safetyBackup) out(c.dim(`  the database as it was is in ${rel(result.safetyBackup)}${result.safetyCopy === 'bytes' ? ' (a byte copy: it was not readable as SQLite)' : ''}`))
    printWarnings(result.warnings)
  },
})
