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
  /** The value as written, before quotes and comments were taken off. */
  raw: string
  /** An unquoted ` #…` / ` ;…` was taken off as a comment: callers of path-like keys refuse that as ambiguous. */
  inlineComment: boolean
}

export interface IniDocument {
  file: string
  sections: Map<string, { line: number, entries: Map<string, IniEntry> }>
}

export function parseIni(text: string, file: string): IniDocument {
  const doc: IniDocument = { file, sections: new Map() }
  let current: string | undefined
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  lines.forEach((source, i) => {
    const line = i + 1
    const trimmed = source.trim()
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
    const raw = trimmed.slice(eq + 1).trim()
    const { value, inlineComment } = readValue(raw, file, line)
    const entries = doc.sections.get(current)!.entries
    const previous = entries.get(key)
    if (previous) {
      throw syntax(file, line, `${key} is set twice in [${current}] (first on line ${previous.line})`, 'keep one of the two lines')
    }
    entries.set(key, { section: current, key, value, line, raw, inlineComment })
  })
  return doc
}

/**
 * `value ; comment` and `value # comment`: a `#` or `;` after whitespace starts a comment, one
 * without whitespace before it (`a#b`) does not. A value in quotes is taken whole, `#` and all, and
 * may be followed by a comment; anything else after the closing quote is an error, not a guess.
 */
function readValue(raw: string, file: string, line: number): { value: string, inlineComment: boolean } {
  const quote = raw[0]
  if (quote === '"' || quote === "'") {
    const end = raw.indexOf(quote, 1)
    if (end < 0) throw syntax(file, line, `the value ${raw.slice(0, 60)} has no closing ${quote}`, `end the value with ${quote}`)
    const rest = raw.slice(end + 1).trim()
    if (rest !== '' && !/^[#;]/.test(rest)) {
      throw syntax(file, line, `unexpected ${JSON.stringify(rest.slice(0, 40))} after the quoted value`, 'put the whole value inside the quotes, and any comment after a # on its own line')
    }
    return { value: raw.slice(1, end), inlineComment: false }
  }
  const comment = /\s[#;]/.exec(raw)
  return comment ? { value: raw.slice(0, comment.index).trim(), inlineComment: true } : { value: raw, inlineComment: false }
}

function syntax(file: string, line: number, problem: string, hint: string): MigrateError {
  return new MigrateError('CONFIG', `${file}:${line}: ${problem}`, { location: { file, line }, hint })
}
