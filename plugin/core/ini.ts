import { MigrateError } from './errors.ts'

/**
 * A line-aware INI reader. We keep our own instead of the `ini` package because every error must
 * name the file and line, and duplicate keys must be refused rather than silently merged — `ini`
 * keeps neither line numbers nor duplicates.
 */
export interface IniEntry {
  section: string
  key: string
  value: string
  line: number
}

export interface IniDocument {
  file: string
  sections: Map<string, { line: number, entries: Map<string, IniEntry> }>
}

export function parseIni(text: string, file: string): IniDocument {
  const doc: IniDocument = { file, sections: new Map() }
  let current: string | undefined
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  lines.forEach((raw, i) => {
    const line = i + 1
    const trimmed = raw.trim()
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return
    const section = /^\[([^\]]*)\]\s*(?:[#;].*)?$/.exec(trimmed)
    if (section) {
      const name = section[1]!.trim().toLowerCase()
      if (!name) throw syntax(file, line, 'empty section name', 'write a section header like [database]')
      const existing = doc.sections.get(name)
      if (existing) {
        throw syntax(file, line, `section [${name}] appears twice (first on line ${existing.line})`, 'merge the two sections into one')
      }
      doc.sections.set(name, { line, entries: new Map() })
      current = name
      return
    }
    const eq = trimmed.search(/[=:]/)
    if (eq <= 0) {
      throw syntax(file, line, `cannot read ${JSON.stringify(trimmed.slice(0, 60))}`, 'write settings as key = value, under a [section] header')
    }
    if (current === undefined) {
      throw syntax(file, line, `setting ${JSON.stringify(trimmed.slice(0, eq).trim())} is outside any section`, 'put it under a section header such as [database], [migration] or [safety]')
    }
    const key = trimmed.slice(0, eq).trim().toLowerCase()
    const value = stripInlineComment(trimmed.slice(eq + 1).trim())
    const entries = doc.sections.get(current)!.entries
    const previous = entries.get(key)
    if (previous) {
      throw syntax(file, line, `${key} is set twice in [${current}] (first on line ${previous.line})`, 'keep one of the two lines')
    }
    entries.set(key, { section: current, key, value, line })
  })
  return doc
}

/** `value ; comment` and `value # comment`, but not inside quotes, and not `#` without a space before it. */
function stripInlineComment(value: string): string {
  const quoted = /^"(.*)"$|^'(.*)'$/.exec(value)
  if (quoted) return quoted[1] ?? quoted[2] ?? ''
  const comment = /\s[#;]/.exec(value)
  return (comment ? value.slice(0, comment.index) : value).trim()
}

function syntax(file: string, line: number, problem: string, hint: string): MigrateError {
  return new MigrateError('CONFIG', `${file}:${line}: ${problem}`, { location: { file, line }, hint })
}
