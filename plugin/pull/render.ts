import type { ColumnModel, ExtraModel, PullDescription, TableModel, Unmodelled } from './describe.ts'

/** Model files as text: one per table, one column per line, imports for the tables referenced. */

/** A TypeScript string literal in single quotes, as model files are written. */
export function tsString(text: string): string {
  return `'${JSON.stringify(text).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'`
}

/**
 * A database name inside a `//` comment of a generated file. JSON escapes \n and \r but not U+2028
 * and U+2029, which JavaScript also reads as line breaks: a table named with one would end the
 * comment and turn the rest of its name into code that every run loading the models executes.
 */
export function nameInComment(name: string): string {
  return JSON.stringify(name).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`)
}

/** What README tells users to import the DSL from. */
export const DSL_IMPORT = 'migrate-plugin/model'

export interface RenderedFile {
  /** Relative to the model directory, `/`-separated. */
  path: string
  content: string
  /** The table it is for, and whether it defines a model. */
  table: string
  modelled: boolean
}

/** A file name for a table: the name itself where it is a plain one, else a safe spelling of it. */
function fileBase(table: string): string {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(table) ? table : table.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[^A-Za-z0-9_]+/, '_')
}

export function fileNames(tables: string[]): Map<string, string> {
  const names = new Map<string, string>()
  const used = new Set<string>()
  for (const table of tables) {
    const base = fileBase(table)
    let name = `${base}.ts`
    // Case-insensitive file systems (macOS, Windows) would make Users.ts and users.ts one file.
    for (let n = 2; used.has(name.toLowerCase()); n++) name = `${base}_${n}.ts`
    used.add(name.toLowerCase())
    names.set(table, name)
  }
  return names
}

export function renderFiles(description: PullDescription): RenderedFile[] {
  const names = fileNames([...description.models.map((m) => m.table), ...description.unmodelled.map((u) => u.table)])
  const byTable = new Map(description.models.map((m) => [m.table, m]))
  const files: RenderedFile[] = description.models.map((m) => ({ path: names.get(m.table)!, content: renderModel(m, byTable, names), table: m.table, modelled: true }))
  for (const u of description.unmodelled) files.push({ path: names.get(u.table)!, content: renderUnmodelled(u), table: u.table, modelled: false })
  return files
}

const comment = (text: string, width = 100): string[] => {
  const lines: string[] = []
  let line = '//'
  for (const word of text.split(/\s+/)) {
    if (line.length + word.length + 1 > width && line !== '//') {
      lines.push(line)
      line = '//  '
    }
    line += ` ${word}`
  }
  lines.push(line)
  return lines
}

function renderModel(m: TableModel, byTable: Map<string, TableModel>, names: Map<string, string>): string {
  const used = new Set<string>(['table'])
  const imports = new Map<string, string>()
  const ref = (table: string) => {
    const target = byTable.get(table)!
    if (target !== m) imports.set(target.exportName, names.get(table)!)
    return target.exportName
  }
  const lines: string[] = []
  for (const c of m.columns) lines.push(`  ${c.key}: ${columnSource(c, used, ref)},`)
  const enums = m.columns.filter((c) => c.enumType).map((c) => {
    used.add('enumType')
    const e = c.enumType!
    return `export const ${e.exportName} = enumType(${tsString(e.name)}, [${e.values.map(tsString).join(', ')}])`
  })
  const extras = m.extras.map((e) => extraSource(e, used, ref))
  const options: string[] = []
  if (extras.length > 0) options.push(`extras: (t) => [\n    ${extras.join(',\n    ')},\n  ]`)
  if (m.modelName) options.push(`modelName: ${tsString(m.modelName)}`)
  const header = [`// Pulled from the database table ${nameInComment(m.table)} by \`npx migrate-plugin pull\`.`]
  if (m.notes.length > 0) {
    header.push('// Not said by this model (the database keeps it):')
    for (const note of m.notes) header.push(...comment(`- ${note}`))
  }
  const importLine = `import { ${[...used].sort().join(', ')} } from '${DSL_IMPORT}'`
  const importTables = [...imports].sort(([a], [b]) => a.localeCompare(b)).map(([name, file]) => `import { ${name} } from './${file}'`)
  const third = options.length === 0 ? '' : `, {\n  ${options.join(',\n  ')},\n}`
  return [
    ...header,
    importLine,
    ...importTables,
    '',
    ...(enums.length > 0 ? [...enums, ''] : []),
    `export const ${m.exportName} = table(${tsString(m.table)}, {`,
    ...lines,
    `}${third})`,
    '',
  ].join('\n')
}

function columnSource(c: ColumnModel, used: Set<string>, ref: (table: string) => string): string {
  if (!c.enumType) used.add(c.builder)
  let s = c.enumType ? `${c.enumType.exportName}()` : c.builder === 'unsupported' ? `unsupported(${tsString(c.declaredType.toLowerCase())})` : `${c.builder}()`
  if (c.primaryKey) s += c.autoIncrement ? '.primaryKey({ autoIncrement: true })' : '.primaryKey()'
  else if (c.notNull) s += '.notNull()'
  if (c.defaultCall) {
    if (c.defaultCall.includes('sql`')) used.add('sql')
    s += c.defaultCall
  }
  if (c.references) {
    const target = ref(c.references.table)
    s += `.references(() => ${target}.${c.references.column}, { onDelete: '${c.references.onDelete}', onUpdate: '${c.references.onUpdate}' })`
  }
  return s
}

function extraSource(e: ExtraModel, used: Set<string>, ref: (table: string) => string): string {
  used.add(e.kind)
  const cols = e.columns.map((c) => `t.${c}`).join(', ')
  if (e.kind === 'foreignKey') {
    const r = e.references!
    const target = ref(r.table)
    return `foreignKey(${cols}).references(() => [${r.columns.map((c) => `${target}.${c}`).join(', ')}], { onDelete: '${r.onDelete}', onUpdate: '${r.onUpdate}' })`
  }
  return `${e.kind}(${cols})${e.name ? `.named(${tsString(e.name)})` : ''}`
}

function renderUnmodelled(u: Unmodelled): string {
  return [
    `// The database table ${nameInComment(u.table)} has no model: \`npx migrate-plugin pull\` cannot describe it faithfully.`,
    '// migrate-plugin leaves a table no model defines as it is (its rows, its schema), so it stays in the',
    '// database untouched. Why it has no model:',
    ...u.reasons.flatMap((r) => comment(`- ${r}`)),
    'export {}',
    '',
  ].join('\n')
}
