import { databaseLabel } from '../../core/config.ts'
import { defineCommand, commonOptions } from '../command.ts'
import { backupFileJson, printJson } from '../json.ts'
import { c, out, rel } from '../print.ts'

export const backups = defineCommand({
  name: 'backups',
  description: 'List backups, newest first',
  common: true,
  async handler(_args, flags) {
    const { backups: backupList } = await import('../../pipeline/inspect.ts')
    const { backups: list, config } = backupList(commonOptions(flags))
    if (flags.json) return printJson({ ok: true, command: 'backups', backups: list.map(backupFileJson) })
    if (list.length === 0) {
      out(`No backups of ${databaseLabel(config, rel)} yet.`)
      return
    }
    for (const b of list) out(`${b.name}  ${c.dim(`${(b.size / 1024).toFixed(1)} KiB · ${b.createdAt.toISOString()}`)}  ${c.dim(rel(b.path))}${b.verified ? '' : c.yellow('  unverified: made by 0.1.0 in a shared folder, may belong to another database named the same')}`)
    out(`restore one with: ${c.cyan(`npx migrate-plugin restore ${list[0]!.name}`)}`)
  },
})
