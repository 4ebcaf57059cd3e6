import { readFileSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { MigrateError } from '../core/errors.ts'

/**
 * What bundlers read from a plugin error besides its message: Rollup, Rolldown and Vite print
 * `id` and `loc` as "file:line:column" under the message and show `frame` (the source lines around
 * it); Vite's overlay shows the same and opens `loc.file` in the editor when clicked. A MigrateError
 * knows its place relative to the project (what messages show); bundlers want the absolute path.
 */
export interface ErrorPlace {
  id: string
  loc: { file: string, line: number, column: number }
  frame?: string
}

export function placeOf(error: unknown, projectRoot: string): ErrorPlace | undefined {
  if (!(error instanceof MigrateError) || !error.location) return undefined
  const { file, line, column } = error.location
  const id = isAbsolute(file) ? file : resolve(projectRoot, file)
  if (line === undefined) return { id, loc: { file: id, line: 1, column: 1 } }
  const frame = codeFrame(id, line, column)
  // Printed as given by Vite (build output and overlay): 1-based, the same place the message names.
  return { id, loc: { file: id, line, column: column ?? 1 }, ...(frame ? { frame } : {}) }
}

/** Two lines of context either side and a caret under the column, in the style of Babel and Rollup. */
export function codeFrame(path: string, line: number, column?: number): string | undefined {
  let lines: string[]
  try {
    lines = readFileSync(path, 'utf8').split(/\r?\n/)
  } catch {
    return undefined
  }
  if (line < 1 || line > lines.length) return undefined
  const first = Math.max(1, line - 2)
  const last = Math.min(lines.length, line + 2)
  const width = String(last).length
  const out: string[] = []
  for (let n = first; n <= last; n++) {
    const text = lines[n - 1]!
    out.push(`${n === line ? '>' : ' '} ${String(n).padStart(width)} | ${text}`)
    if (n === line && column !== undefined) {
      const pad = text.slice(0, Math.max(0, column - 1)).replace(/[^\t]/g, ' ')
      out.push(`  ${' '.repeat(width)} | ${pad}^`)
    }
  }
  return out.join('\n')
}
