import { defineCommand, commonOptions } from '../command.ts'
import { printJson } from '../json.ts'
import { out, rel } from '../print.ts'

export const generate = defineCommand({
  name: 'generate',
  description: 'Write the Prisma schema from the models; touch no database',
  common: true,
  async handler(_args, flags) {
    const { generate: generateSchema } = await import('../../pipeline/inspect.ts')
    const result = await generateSchema(commonOptions(flags))
    if (flags.json) return printJson({ ok: true, command: 'generate', ...result })
    out(`${result.changed ? 'wrote' : 'unchanged:'} ${rel(result.path)} (${result.tables} models)`)
  },
})
