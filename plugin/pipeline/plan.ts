import Database from 'better-sqlite3'
import type { ModelOwner } from '../schema/ownership.ts'
import type { Plan, PlanStep } from '../types.ts'
// The public shapes live in types.ts (which imports nothing, so the shipped declarations stand alone).
export type { Plan, PlanStep } from '../types.ts'

// The engine's SQL script → steps a person can read ("add column users.phone"), each attributed
// to the table it touches and the model file that owns that table.

interface Section {
  header: string
  statements: string[]
}

/** Split the script into `-- Header` sections of statements. */
function sections(script: string): Section[] {
  const result: Section[] = []
  let current: Section | undefined
  let buffer = ''
  for (const line of script.split('\n')) {
    const header = /^-- (\w+)\s*$/.exec(line)
    if (header) {
      current = { header: header[1]!, statements: [] }
      result.push(current)
      continue
    }
    if (!current) continue
    // A comment line (a reviewed plan's `-- !!` marks, a reviewer's note) is no part of a statement:
    // kept, it would hide the statement's kind from the matching below.
    if (/^\s*--/.test(line)) continue
    buffer += `${line}\n`
    if (/;\s*$/.test(line)) {
      current.statements.push(buffer.trim())
      buffer = ''
    }
  }
  return result
}

const unquote = (name: string) => name.replace(/^"|"$/g, '').replace(/""/g, '"')

export interface LiveColumn {
  name: string
  type: string
  notnull: number
  dflt_value: string | null
  pk: number
}

interface ForeignKey {
  /** Rows of one foreign key share an id (one row per column, in `seq` order). */
  id: number
  seq: number
  from: string
  table: string
  to: string
  on_delete: string
  on_update: string
}

/** Reads the live schema: what the engine's script is about to change. */
export interface LiveSchema {
  columns(table: string): LiveColumn[]
  foreignKeys(table: string): ForeignKey[]
  indexTable(index: string): string | undefined
}

export function buildPlan(script: string, owners: ModelOwner[], live: LiveSchema): Plan {
  const ownerOf = new Map(owners.map((o) => [o.table.toLowerCase(), o]))
  const steps: PlanStep[] = []
  const add = (step: Omit<PlanStep, 'file'>) => {
    const owner = ownerOf.get(step.table.toLowerCase())
    steps.push(owner ? { ...step, file: owner.file, ...(owner.line !== undefined ? { line: owner.line } : {}) } : step)
  }
  for (const section of sections(script)) {
    if (section.header === 'RedefineTables') {
      redefinitions(section.statements, live).forEach(add)
      continue
    }
    if (section.header === 'AlterEnum' && section.statements.some((sql) => /^BEGIN;?$/i.test(sql.trim()))) {
      // PostgreSQL cannot drop an enum value: the engine makes a new type, moves the columns to it and
      // swaps the names, inside a BEGIN/COMMIT of its own. One change for a person.
      const created = section.statements.map((sql) => /^CREATE TYPE "((?:[^"]|"")+)_new" AS ENUM \((.*)\);$/s.exec(sql)).find(Boolean)
      const name = created ? unquote(`"${created[1]!}"`) : '?'
      const values = created ? created[2]!.split(',').map((v) => v.trim().replace(/^'|'$/g, '')).join(', ') : ''
      add({ kind: 'alter enum', table: '', description: `redefine enum ${name} with the values ${values} (columns using it are converted)`, sql: section.statements })
      continue
    }
    for (const sql of section.statements) {
      let m: RegExpExecArray | null
      if ((m = /^CREATE TABLE ("(?:[^"]|"")+")/.exec(sql))) {
        add({ kind: 'create table', table: unquote(m[1]!), description: `create table ${unquote(m[1]!)}`, sql: [sql] })
      } else if ((m = /^ALTER TABLE ("(?:[^"]|"")+")\s+(ADD|DROP|ALTER|RENAME)\b/.exec(sql))) {
        alterTable(unquote(m[1]!), sql).forEach(add)
      } else if ((m = /^DROP TABLE ("(?:[^"]|"")+")/.exec(sql))) {
        add({ kind: 'drop table', table: unquote(m[1]!), description: `drop table ${unquote(m[1]!)}`, sql: [sql] })
      } else if ((m = /^CREATE (UNIQUE )?INDEX ("(?:[^"]|"")+") ON ("(?:[^"]|"")+")\s*(?:USING \w+\s*)?\((.*)\);$/s.exec(sql))) {
        const table = unquote(m[3]!)
        const cols = m[4]!.split(',').map((c) => unquote(c.trim())).join(', ')
        add({ kind: 'create index', table, description: `create ${m[1] ? 'unique ' : ''}index on ${table} (${cols})`, sql: [sql] })
      } else if ((m = /^DROP INDEX ("(?:[^"]|"")+")/.exec(sql))) {
        const index = unquote(m[1]!)
        const table = live.indexTable(index) ?? '?'
        add({ kind: 'drop index', table, description: `drop index ${index} on ${table}`, sql: [sql] })
      } else if ((m = /^CREATE TYPE ("(?:[^"]|"")+") AS ENUM \((.*)\);$/s.exec(sql))) {
        add({ kind: 'create enum', table: '', description: `create enum ${unquote(m[1]!)} (${enumValues(m[2]!)})`, sql: [sql] })
      } else if ((m = /^ALTER TYPE ("(?:[^"]|"")+") ADD VALUE '((?:[^']|'')*)'/.exec(sql))) {
        add({ kind: 'alter enum', table: '', description: `add value ${m[2]!.replace(/''/g, "'")} to enum ${unquote(m[1]!)}`, sql: [sql] })
      } else if ((m = /^DROP TYPE ("(?:[^"]|"")+")/.exec(sql))) {
        add({ kind: 'drop enum', table: '', description: `drop enum ${unquote(m[1]!)}`, sql: [sql] })
      } else if (/^PRAGMA /i.test(sql)) {
        // The engine brackets drops with foreign_keys pragmas; they belong to the step around them.
        const last = steps[steps.length - 1]
        if (last) last.sql.push(sql)
      } else {
        add({ kind: 'redefine table', table: '?', description: sql.split('\n')[0]!.slice(0, 80), sql: [sql] })
      }
    }
  }
  const tables = [...new Set(steps.map((s) => s.table).filter((t) => t !== '?' && t !== ''))]
  return { steps, sql: script.trim(), tables }
}

const enumValues = (list: string) => list.split(',').map((v) => v.trim().replace(/^'|'$/g, '').replace(/''/g, "'")).join(', ')

/**
 * One `ALTER TABLE "t" …` as the steps a person reads. PostgreSQL's engine script puts several
 * actions in one statement (`ADD COLUMN "a" TEXT,\nADD COLUMN "b" INTEGER`) and aligns names with
 * spaces; the statement's SQL goes with its first step.
 */
function alterTable(table: string, sql: string): Omit<PlanStep, 'file'>[] {
  const body = sql.replace(/^ALTER TABLE "(?:[^"]|"")+"\s+/, '').replace(/;\s*$/, '')
  const col = (name: string) => `${table}.${unquote(name)}`
  // A type PostgreSQL cannot cast to is changed by dropping the column and adding it again: one
  // change for a person, and its values go with the drop, which the words must not hide.
  const actions = body.split(/,\n\s*/).reduce<string[]>((list, action) => {
    const added = /^ADD COLUMN\s+("(?:[^"]|"")+")\s+(.+)$/s.exec(action.trim())
    const last = list.length - 1
    if (added && list[last] === `DROP COLUMN ${added[1]!}`) list[last] = `RECREATE ${added[1]!} ${added[2]!.trim()}`
    else list.push(action)
    return list
  }, [])
  const steps = actions.map((action): Omit<PlanStep, 'file'> => {
    let m: RegExpExecArray | null
    const a = action.trim()
    if ((m = /^RECREATE ("(?:[^"]|"")+") (.+)$/s.exec(a))) return { kind: 'alter table', table, description: `drop column ${col(m[1]!)} and add it again as ${m[2]!} (its values are not kept)`, sql: [] }
    if ((m = /^ADD COLUMN\s+("(?:[^"]|"")+")/.exec(a))) return { kind: 'add column', table, description: `add column ${col(m[1]!)}`, sql: [] }
    if ((m = /^DROP COLUMN\s+("(?:[^"]|"")+")/.exec(a))) return { kind: 'alter table', table, description: `drop column ${col(m[1]!)}`, sql: [] }
    if ((m = /^ALTER COLUMN\s+("(?:[^"]|"")+")\s+SET DATA TYPE\s+(.+?)(\s+USING .*)?$/s.exec(a))) return { kind: 'alter table', table, description: `change column ${col(m[1]!)} to ${m[2]!.trim()}`, sql: [] }
    if ((m = /^ALTER COLUMN\s+("(?:[^"]|"")+")\s+SET NOT NULL/.exec(a))) return { kind: 'alter table', table, description: `make column ${col(m[1]!)} required`, sql: [] }
    if ((m = /^ALTER COLUMN\s+("(?:[^"]|"")+")\s+DROP NOT NULL/.exec(a))) return { kind: 'alter table', table, description: `make column ${col(m[1]!)} optional`, sql: [] }
    if ((m = /^ALTER COLUMN\s+("(?:[^"]|"")+")\s+SET DEFAULT\s+(.+)$/s.exec(a))) return { kind: 'alter table', table, description: `set the default of ${col(m[1]!)} to ${m[2]!.trim()}`, sql: [] }
    if ((m = /^ALTER COLUMN\s+("(?:[^"]|"")+")\s+DROP DEFAULT/.exec(a))) return { kind: 'alter table', table, description: `drop the default of ${col(m[1]!)}`, sql: [] }
    if ((m = /^ADD CONSTRAINT\s+("(?:[^"]|"")+")\s+FOREIGN KEY\s*\((.*?)\)\s*REFERENCES\s+("(?:[^"]|"")+")\s*\((.*?)\)(.*)$/s.exec(a))) {
      const onDelete = /ON DELETE (CASCADE|RESTRICT|NO ACTION|SET NULL|SET DEFAULT)/i.exec(m[5]!)?.[1]
      return { kind: 'alter table', table, description: `add foreign key ${table} (${enumValues(m[2]!.replace(/"/g, ''))}) → ${unquote(m[3]!)} (${enumValues(m[4]!.replace(/"/g, ''))})${onDelete ? ` on delete ${onDelete.toLowerCase()}` : ''}`, sql: [] }
    }
    if ((m = /^ADD CONSTRAINT\s+("(?:[^"]|"")+")\s+PRIMARY KEY\s*\((.*?)\)/s.exec(a))) return { kind: 'alter table', table, description: `set the primary key of ${table} to (${enumValues(m[2]!.replace(/"/g, ''))})`, sql: [] }
    if ((m = /^RENAME CONSTRAINT\s+("(?:[^"]|"")+")\s+TO\s+("(?:[^"]|"")+")/.exec(a))) return { kind: 'alter table', table, description: `rename constraint ${unquote(m[1]!)} → ${unquote(m[2]!)} on ${table}`, sql: [] }
    if ((m = /^DROP CONSTRAINT\s+("(?:[^"]|"")+")/.exec(a))) return { kind: 'alter table', table, description: `drop constraint ${unquote(m[1]!)} on ${table}`, sql: [] }
    return { kind: 'alter table', table, description: `alter table ${table}: ${a.split('\n')[0]!.slice(0, 80)}`, sql: [] }
  })
  if (steps[0]) steps[0].sql = [sql]
  return steps
}

/** The engine rebuilds a table SQLite cannot ALTER (new_x, copy, drop, rename); say what actually changes. */
function redefinitions(statements: string[], live: LiveSchema): Omit<PlanStep, 'file'>[] {
  const steps: Omit<PlanStep, 'file'>[] = []
  let current: Omit<PlanStep, 'file'> | undefined
  for (const sql of statements) {
    const create = /^CREATE TABLE "new_((?:[^"]|"")+)"/.exec(sql)
    if (create) {
      const table = unquote(create[1]!)
      current = { kind: 'redefine table', table, description: `redefine table ${table}${describeChanges(table, sql, live)}`, sql: [sql] }
      steps.push(current)
      continue
    }
    if (current) current.sql.push(sql)
  }
  return steps
}

const PRISMA_NAMES: Record<string, string> = {
  INTEGER: 'Int', TEXT: 'String', REAL: 'Float', BOOLEAN: 'Boolean', DATETIME: 'DateTime',
  DECIMAL: 'Decimal', BLOB: 'Bytes', BIGINT: 'BigInt', JSONB: 'Json', JSON: 'Json',
}
const typeName = (sqlType: string) => PRISMA_NAMES[sqlType.toUpperCase()] ?? sqlType

function describeChanges(table: string, createSql: string, live: LiveSchema): string {
  const scratch = new Database(':memory:')
  let after: LiveColumn[]
  let afterFks: ForeignKey[]
  try {
    scratch.exec(createSql)
    after = scratch.prepare(`SELECT * FROM pragma_table_info(?)`).all(`new_${table}`) as LiveColumn[]
    afterFks = scratch.prepare(`SELECT * FROM pragma_foreign_key_list(?)`).all(`new_${table}`) as ForeignKey[]
  } catch {
    return ''
  } finally {
    scratch.close()
  }
  const before = live.columns(table)
  const beforeFks = live.foreignKeys(table)
  const changes: string[] = []
  const old = new Map(before.map((c) => [c.name, c]))
  const now = new Map(after.map((c) => [c.name, c]))
  for (const c of after) {
    const o = old.get(c.name)
    if (!o) {
      changes.push(`add column ${c.name}${Number(c.notnull) ? ' (required)' : ''}`)
      continue
    }
    if (o.type.toUpperCase() !== c.type.toUpperCase()) changes.push(`type of ${c.name} ${typeName(o.type)} → ${typeName(c.type)}`)
    if (Number(o.notnull) !== Number(c.notnull)) changes.push(`${c.name} becomes ${c.notnull ? 'required' : 'optional'}`)
    if ((o.dflt_value ?? null) !== (c.dflt_value ?? null)) changes.push(`default of ${c.name} ${o.dflt_value ?? 'none'} → ${c.dflt_value ?? 'none'}`)
    if (Number(o.pk) !== Number(c.pk)) changes.push(`primary key ${Number(c.pk) ? 'now includes' : 'no longer includes'} ${c.name}`)
  }
  for (const o of before) if (!now.has(o.name)) changes.push(`drop column ${o.name}`)
  const oldFks = foreignKeyWords(beforeFks)
  const newFks = foreignKeyWords(afterFks)
  for (const [key, words] of newFks) if (!oldFks.has(key)) changes.push(`add foreign key ${words}`)
  for (const [key, words] of oldFks) if (!newFks.has(key)) changes.push(`drop foreign key ${words.replace(/ \(on delete .*\)$/, '')}`)
  return changes.length ? `: ${changes.join(', ')}` : ''
}

/**
 * One entry per foreign key, keyed by what it is: SQLite lists a key over several columns as one
 * row per column, which must read as one key (`(shopId, number) → orders (shopId, number)`).
 */
function foreignKeyWords(rows: ForeignKey[]): Map<string, string> {
  const byId = new Map<number, ForeignKey[]>()
  for (const row of rows) byId.set(Number(row.id), [...(byId.get(Number(row.id)) ?? []), row])
  const result = new Map<string, string>()
  for (const group of byId.values()) {
    group.sort((a, b) => Number(a.seq) - Number(b.seq))
    const [first] = group
    const from = group.map((f) => f.from)
    const to = group.map((f) => f.to)
    const target = from.length === 1 ? `${from[0]} → ${first!.table}.${to[0]}` : `(${from.join(', ')}) → ${first!.table} (${to.join(', ')})`
    const onUpdate = first!.on_update.toUpperCase() === 'CASCADE' ? '' : `, on update ${first!.on_update.toLowerCase()}`
    result.set(`${target} ${first!.on_delete}/${first!.on_update}`, `${target} (on delete ${first!.on_delete.toLowerCase()}${onUpdate})`)
  }
  return result
}
