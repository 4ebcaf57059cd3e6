import { join } from 'node:path'
import { commonOptions, defineCommand } from '../command.ts'
import { printJson } from '../json.ts'
import { c, out, rel } from '../print.ts'

export const pull = defineCommand({
  name: 'pull',
  description: 'Write model files from the tables of an existing SQLite database',
  common: true,
  options: [
    ['--force', 'Replace model files that already exist'],
    ['--dry-run', 'Print the files instead of writing them'],
    ['--enums', "Make an enumType() of a text column checked with CHECK (column IN ('a', 'b'))"],
  ],
  examples: ['npx migrate-plugin pull', 'npx migrate-plugin pull --dry-run'],
  async handler(_args, flags) {
    const dryRun = !!(flags as { dryRun?: boolean }).dryRun
    const { pull: pullModels } = await import('../../pull/index.ts')
    const result = await pullModels({ ...commonOptions(flags), force: !!flags.force, dryRun, enums: !!(flags as { enums?: boolean }).enums })
    const dir = result.config.modelDirectory
    if (flags.json) {
      printJson({
        ok: true,
        command: 'pull',
        dryRun,
        files: result.files.map((f) => ({ path: rel(join(dir, f.path)), table: f.table, modelled: f.modelled, content: f.content })),
        written: result.written.map(rel),
        unmodelled: result.unmodelled,
        skipped: result.skipped,
      })
      return
    }
    if (result.files.length === 0) {
      out(`${rel(result.config.databasePath)} has no tables to pull models from`)
      return
    }
    if (dryRun) {
      for (const f of result.files) {
        out(c.bold(`--- ${rel(join(dir, f.path))}`))
        out(f.content.trimEnd())
        out()
      }
      out(c.dim(`dry run: ${result.files.length} file(s) shown, nothing written`))
    } else {
      for (const path of result.written) out(`${c.green('+')} ${result.replaced.includes(path) ? 'replaced' : 'wrote'} ${rel(path)}`)
    }
    const modelled = result.files.filter((f) => f.modelled).length
    out(`${modelled} table(s) modelled from ${rel(result.config.databasePath)}${result.unmodelled.length ? `; ${result.unmodelled.length} left unmodelled (their files say why; migrate-plugin leaves them as they are)` : ''}`)
    for (const u of result.unmodelled) out(c.yellow(`  ${u.table}: ${u.reasons[0]}${u.reasons.length > 1 ? ` (and ${u.reasons.length - 1} more)` : ''}`))
    if (result.unmodelled.length > 0 && result.config.dropUnmodelledTables) {
      out(c.red(`  [migration] drop_unmodelled_tables is on: the next apply would DROP ${result.unmodelled.map((u) => u.table).join(', ')}; turn it off before applying`))
    }
    if (result.others.length > 0) {
      out(c.yellow(`  ${rel(dir)}/ also holds ${result.others.map(rel).join(', ')}: a table defined there too is an error check names with both files; remove one of the two`))
    }
    if (result.skipped.length > 0) out(c.dim(`  kept in the database, not modelled: ${result.skipped.join(', ')}`))
    if (!dryRun) out(`next: ${c.cyan('npx migrate-plugin check')} (nothing should be pending)`)
  },
})
