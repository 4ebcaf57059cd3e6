import { readFileSync } from 'node:fs'

/**
 * The line of a `table('name', …)` call in its source file. The stack frame that table() reads its
 * call site from is a line of jiti's transpiled code, which drifts from the source when comments or
 * types come before the call (a file `pull` writes starts with a comment block): the annotations a
 * CI shows and the messages that name a model line must point at the source. The call is looked for
 * in the source text, nearest to the frame's line when a file defines the name twice; a name built
 * at run time (not a string literal) keeps the frame's line.
 */
export function tableSourceLine(file: string, name: string, frameLine: number, sources: Map<string, string[] | undefined>): number {
  // Read and split once per file: a file defines many tables.
  if (!sources.has(file)) {
    try {
      sources.set(file, readFileSync(file, 'utf8').split(/\r?\n/))
    } catch {
      sources.set(file, undefined)
    }
  }
  const lines = sources.get(file)
  if (lines === undefined) return frameLine
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const call = new RegExp(`\\btable\\s*\\(\\s*(['"\`])${escaped}\\1`)
  let best: number | undefined
  lines.forEach((line, i) => {
    if (call.test(line) && (best === undefined || Math.abs(i + 1 - frameLine) < Math.abs(best - frameLine))) best = i + 1
  })
  return best ?? frameLine
}
