/**
 * Split a PostgreSQL script into statements at the semicolons that end them: not those inside
 * string literals ('a;b', E'\';'), quoted names ("a;b"), dollar-quoted bodies ($$…;…$$, $fn$…$fn$)
 * or comments. Splitting at every ";" (as Prisma's pg adapter does) breaks a default of 'a;b'.
 */
export function splitStatements(script: string): string[] {
  return splitStatementsAt(script).map((s) => s.sql)
}

/** The same, with where each statement starts in the script (for naming its line). */
export function splitStatementsAt(script: string): { sql: string, offset: number }[] {
  const statements: { sql: string, offset: number }[] = []
  const push = (end: number) => {
    const raw = script.slice(start, end)
    statements.push({ sql: raw.trim(), offset: start + (raw.length - raw.trimStart().length) })
  }
  let start = 0
  let i = 0
  const n = script.length
  while (i < n) {
    const ch = script[i]!
    if (ch === "'" || ch === '"') {
      // E'…' strings take backslash escapes; standard strings and names only doubled quotes.
      const escapes = ch === "'" && i > 0 && /[eE]/.test(script[i - 1]!) && !/[A-Za-z0-9_]/.test(script[i - 2] ?? '')
      i++
      while (i < n) {
        if (escapes && script[i] === '\\') { i += 2; continue }
        if (script[i] === ch) {
          if (script[i + 1] === ch) { i += 2; continue }
          break
        }
        i++
      }
      i++
    } else if (ch === '-' && script[i + 1] === '-') {
      const end = script.indexOf('\n', i)
      i = end < 0 ? n : end + 1
    } else if (ch === '/' && script[i + 1] === '*') {
      // Block comments nest in PostgreSQL.
      let depth = 1
      i += 2
      while (i < n && depth > 0) {
        if (script[i] === '/' && script[i + 1] === '*') { depth++; i += 2 } else if (script[i] === '*' && script[i + 1] === '/') { depth--; i += 2 } else i++
      }
    } else if (ch === '$' && !/[A-Za-z0-9_]/.test(script[i - 1] ?? '')) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(script.slice(i))
      if (tag) {
        const end = script.indexOf(tag[0], i + tag[0].length)
        i = end < 0 ? n : end + tag[0].length
      } else i++
    } else if (ch === ';') {
      push(i)
      i++
      start = i
    } else i++
  }
  push(n)
  return statements.filter((s) => s.sql !== '' && !isOnlyComments(s.sql))
}

function isOnlyComments(statement: string): boolean {
  return statement.replace(/--[^\n]*(\n|$)/g, '').replace(/\/\*[\s\S]*?\*\//g, '').trim() === ''
}
