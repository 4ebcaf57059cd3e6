import { MigrateError } from '../core/errors.ts'
import { splitStatementsAt } from '../targets/postgres/sql-split.ts'

/** One statement of a plan file, and the line of the file it starts on. */
export interface PlanStatement {
  sql: string
  line: number
}

/**
 * The plan file's statements, each with its line, ready to run inside the run's one transaction.
 *
 * The whole run must commit or roll back as one, so a statement that would end the transaction
 * half-way is not run as written: a BEGIN … COMMIT pair (PostgreSQL's engine wraps an enum
 * redefinition in one) becomes a savepoint and its release, which keeps its meaning inside ours;
 * a COMMIT without a BEGIN, or a ROLLBACK of everything, is refused before anything runs.
 */
export function planStatements(text: string, file: string, dialect: 'sqlite' | 'postgres'): PlanStatement[] {
  const lineAt = lineCounter(text)
  // A statement's line is that of its first word, not of the comments before it (the header, the marks).
  const raw = splitStatementsAt(text).map((s) => ({ sql: s.sql, line: lineAt(s.offset + s.sql.length - withoutLeadingComments(s.sql).length) }))
  const statements = dialect === 'sqlite' ? joinTriggerBodies(raw) : raw
  const result: PlanStatement[] = []
  let depth = 0
  for (const statement of statements) {
    // Classified on its words alone: a comment anywhere (`COMMIT /* done */;`) must not hide what it is.
    const sql = wordsOf(statement.sql)
    const refuse = (what: string) => new MigrateError('PLAN', `${file}:${statement.line}: ${what}`, {
      location: { file, line: statement.line },
      hint: 'a plan runs in one transaction that migrate-plugin commits or rolls back after checking the result: remove that statement (BEGIN … COMMIT pairs are fine)',
    })
    if (/^(BEGIN|START TRANSACTION)( (WORK|TRANSACTION|DEFERRED|IMMEDIATE|EXCLUSIVE|ISOLATION LEVEL [\w ]+|READ (WRITE|ONLY)|(NOT )?DEFERRABLE),?)*$/i.test(sql)) {
      depth++
      result.push({ sql: `SAVEPOINT migrate_plugin_plan_${depth}`, line: statement.line })
    } else if (/^(COMMIT|END)( (WORK|TRANSACTION))?$/i.test(sql) && depth > 0) {
      result.push({ sql: `RELEASE SAVEPOINT migrate_plugin_plan_${depth}`, line: statement.line })
      depth--
    } else if (/^(COMMIT|END)\b/i.test(sql)) {
      // Any other COMMIT (without a BEGIN, AND CHAIN, PREPARED) ends the run's transaction.
      throw refuse(`${sql.toUpperCase()}${depth === 0 ? ' without a BEGIN' : ''} would commit the plan half-way`)
    } else if (/^ROLLBACK( (WORK|TRANSACTION))? TO\b/i.test(sql)) {
      // Back to a savepoint of the plan's own: the run's transaction stays open.
      result.push({ sql: statement.sql, line: statement.line })
    } else if (/^(ROLLBACK|ABORT)\b/i.test(sql)) {
      throw refuse(`${sql.toUpperCase()} would undo the run's transaction half-way`)
    } else if (/^PREPARE TRANSACTION\b/i.test(sql)) {
      throw refuse('PREPARE TRANSACTION would hand the run\'s transaction to another session')
    } else if (/^(VACUUM|ATTACH|DETACH)\b/i.test(sql) || /^PRAGMA (\w+\.)?(journal_mode|locking_mode|wal_checkpoint)\b/i.test(sql)) {
      throw refuse(`${sql.split(/\s/)[0]!.toUpperCase()} cannot run inside a transaction`)
    } else {
      result.push({ sql: statement.sql, line: statement.line })
    }
  }
  if (depth > 0) {
    const open = statements.find((s) => /^(BEGIN|START\s+TRANSACTION)\b/i.test(withoutLeadingComments(s.sql)))
    throw new MigrateError('PLAN', `${file}:${open?.line ?? 1}: a BEGIN has no COMMIT`, {
      location: { file, line: open?.line ?? 1 }, hint: 'close it with COMMIT, or remove it: the plan runs in one transaction anyway',
    })
  }
  return result
}

function lineCounter(text: string): (offset: number) => number {
  const starts = [0]
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1)
  return (offset) => {
    let lo = 0
    let hi = starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (starts[mid]! <= offset) lo = mid
      else hi = mid - 1
    }
    return lo + 1
  }
}

/**
 * A statement's words for telling what kind it is: comments removed wherever they are, white space
 * as one space. Not string-aware (a `--` inside a quoted value goes too), which is harmless here:
 * only the first words decide, and the statement runs as written.
 */
function wordsOf(sql: string): string {
  return sql.replace(/\/\*[\s\S]*?(\*\/|$)/g, ' ').replace(/--[^\n]*/g, ' ').replace(/\s+/g, ' ').replace(/\s*;\s*$/, '').trim()
}

/** A statement's text after the comment lines that precede it (the marks `plan` writes). */
export function withoutLeadingComments(sql: string): string {
  return sql.replace(/^(\s*(--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/))*\s*/, '')
}

/** SQLite's CREATE TRIGGER … BEGIN …; …; END holds semicolons of its own: one statement up to its END. */
function joinTriggerBodies(statements: PlanStatement[]): PlanStatement[] {
  const result: PlanStatement[] = []
  let open: PlanStatement | undefined
  for (const s of statements) {
    if (open) {
      open.sql = `${open.sql};\n${s.sql}`
      if (triggerEnds(open.sql)) { result.push(open); open = undefined }
      continue
    }
    if (/^CREATE\s+(TEMP\s+|TEMPORARY\s+)?TRIGGER\b/i.test(withoutLeadingComments(s.sql)) && !triggerEnds(s.sql)) open = { ...s }
    else result.push(s)
  }
  if (open) result.push(open)
  return result
}

/** A trigger's text so far ends its body: it ends in END, and has one END more than its CASE … END expressions. */
function triggerEnds(sql: string): boolean {
  const words = wordsOf(sql)
  const count = (word: RegExp) => words.match(word)?.length ?? 0
  return /\bEND$/i.test(words) && count(/\bEND\b/gi) > count(/\bCASE\b/gi)
}
