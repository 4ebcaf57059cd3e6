import { readFileSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import type { PlanStep } from '../types.ts'

/**
 * Where in the model files a pending step comes from, so that CI can put its annotation on the
 * line a reviewer changed: the column's line inside the table's block when the step is about one
 * column that the model still has, else the table's own line, else line 1 of the file.
 *
 * The table's line is the one `table()` recorded when the model loaded (PlanStep.line); a column's
 * line is found by reading the file from there, since columns keep no call site of their own.
 * Reading the text can only miss (then the table's line stands), never point into another table:
 * the search stays inside the table's own braces.
 */

export interface ModelPlace {
  /** Absolute path of the model file. */
  path: string
  line: number
}

/** One place per step (undefined for a step no model file owns: a dropped table, an enum). */
export function modelPlaces(steps: readonly PlanStep[], projectRoot: string): (ModelPlace | undefined)[] {
  const sources = new Map<string, string[] | undefined>()
  const linesOf = (path: string) => {
    if (!sources.has(path)) sources.set(path, readLines(path))
    return sources.get(path)
  }
  return steps.map((step) => {
    if (!step.file) return undefined
    const path = isAbsolute(step.file) ? step.file : resolve(projectRoot, step.file)
    const lines = linesOf(path)
    if (!lines) return { path, line: 1 }
    const prisma = path.endsWith('.prisma')
    const tableLine = validLine(step.line, lines) ?? findTableLine(lines, step.table, prisma)
    if (tableLine === undefined) return { path, line: 1 }
    const column = columnOf(step)
    const columnLine = column === undefined ? undefined : findColumnLine(lines, tableLine, column, prisma)
    return { path, line: columnLine ?? tableLine }
  })
}

function readLines(path: string): string[] | undefined {
  try {
    return readFileSync(path, 'utf8').split(/\r\n|\r|\n/)
  } catch {
    return undefined
  }
}

function validLine(line: number | undefined, lines: string[]): number | undefined {
  return line !== undefined && Number.isInteger(line) && line >= 1 && line <= lines.length ? line : undefined
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * A step without a recorded line (a rename, which the pipeline adds from the models' own
 * renamedFrom): the `table('name'` call, or the .prisma model mapped to that table.
 */
function findTableLine(lines: string[], table: string, prisma: boolean): number | undefined {
  const name = escapeRegExp(table)
  const call = new RegExp(`\\btable\\s*\\(\\s*(['"\`])${name}\\1`)
  for (let i = 0; i < lines.length; i++) if (call.test(lines[i]!)) return i + 1
  if (!prisma) return undefined
  // A model named as the table, or one that maps to it with @@map("table").
  const map = new RegExp(`@@map\\(\\s*(?:name:\\s*)?"${name}"\\s*\\)`)
  let model: number | undefined
  for (let i = 0; i < lines.length; i++) {
    const header = /^\s*model\s+(\w+)\s*\{/.exec(lines[i]!)
    if (header) {
      model = i + 1
      if (header[1] === table) return model
    }
    if (model !== undefined && map.test(lines[i]!)) return model
  }
  return undefined
}

/**
 * The column a step is about, read from its words (plan.ts writes them): only when the model still
 * has that column. A dropped column has no line of its own: its step stays on the table's line.
 */
export function columnOf(step: Pick<PlanStep, 'kind' | 'table' | 'description'>): string | undefined {
  const d = step.description
  const qualified = (rest: string) => (rest.startsWith(`${step.table}.`) ? rest.slice(step.table.length + 1) : undefined)
  let m: RegExpExecArray | null
  switch (step.kind) {
    case 'add column':
      return (m = /^add column (.+)$/.exec(d)) ? qualified(m[1]!) : undefined
    case 'rename column':
      return (m = / → (.+)$/.exec(d)) ? qualified(m[1]!) : undefined
    case 'alter table':
      if ((m = /^drop column (.+?) and add it again as /.exec(d))) return qualified(m[1]!)
      if (/^drop column /.test(d)) return undefined
      if ((m = /^(?:change column|make column|set the default of|drop the default of) (.+?)(?: to | required$| optional$|$)/.exec(d))) return qualified(m[1]!)
      if ((m = /^add foreign key .+? \((.+?)[,)]/.exec(d))) return m[1]!.trim()
      return undefined
    case 'redefine table': {
      const changes = /^redefine table .+?: (.+)$/.exec(d)?.[1]
      if (!changes) return undefined
      // The first change that names a column the model has: a dropped one has no line.
      for (const change of changes.split(', ')) {
        if ((m = /^add column (\S+)/.exec(change))) return m[1]!
        if ((m = /^type of (\S+) /.exec(change))) return m[1]!
        if ((m = /^default of (\S+) /.exec(change))) return m[1]!
        if ((m = /^primary key now includes (\S+)$/.exec(change))) return m[1]!
        if ((m = /^(\S+) becomes (?:required|optional)$/.exec(change))) return m[1]!
        if ((m = /^add foreign key \(?([^\s,)]+)/.exec(change))) return m[1]!
      }
      return undefined
    }
    case 'create index':
      return (m = /\((.+?)[,)]/.exec(d)) ? m[1]!.trim() : undefined
    default:
      return undefined
  }
}

/**
 * The column's line inside the table's block. The block is the first `{ … }` that opens on or
 * after the table's line (the columns object, or the .prisma model's body); braces inside strings
 * and comments on the way are rare enough in model files that a miss only means the table's line.
 */
function findColumnLine(lines: string[], tableLine: number, column: string, prisma: boolean): number | undefined {
  const name = escapeRegExp(column)
  // The database name given explicitly: text('user_name'), .map('user_name'), @map("user_name").
  // Only the builder right after the key, or .map(): `.default('phone')` is a value, not a name.
  const mapped = prisma
    ? new RegExp(`@map\\(\\s*(?:name:\\s*)?"${name}"\\s*\\)`)
    : new RegExp(`(?::\\s*[\\w$.]+|\\.map)\\(\\s*(['"\`])${name}\\1\\s*\\)`)
  // The key is the name: `phone: text()`, `'phone': …`, or a .prisma field `phone String?`.
  const key = prisma ? new RegExp(`^\\s*${name}\\s`) : new RegExp(`^\\s*(?:${name}|(['"\`])${name}\\1)\\s*:`)
  let depth = 0
  let opened = false
  let byKey: number | undefined
  for (let i = tableLine - 1; i < lines.length; i++) {
    const text = lines[i]!
    // Only lines at the block's own level are column definitions (not a nested options object).
    if (opened && depth === 1) {
      if (mapped.test(text)) return i + 1
      if (byKey === undefined && key.test(text)) byKey = i + 1
    }
    for (const ch of text.replace(/\/\/.*$/, '')) {
      if (ch === '{') {
        depth++
        opened = true
      } else if (ch === '}') {
        depth--
      }
    }
    if (opened && depth <= 0) break
  }
  return byKey
}
