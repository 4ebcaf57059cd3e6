import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ERROR_CODES, JSON_OUTPUT_VERSION, type ErrorCode, type JsonOutput } from '../plugin/index.ts'
import { Project, REPO, USERS_MODEL, type CliResult } from './helpers.ts'

function sources(dir = join(REPO, 'plugin')): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name)
    return statSync(full).isDirectory() ? sources(full) : full.endsWith('.ts') ? [full] : []
  })
}

/** The first argument of every `new MigrateError(…)`, and every `code: '…'` an error body is built with. */
function codesUsed(): Map<string, string[]> {
  const used = new Map<string, string[]>()
  const add = (code: string, where: string) => used.set(code, [...(used.get(code) ?? []), where])
  for (const file of sources()) {
    const text = readFileSync(file, 'utf8')
    const rel = relative(REPO, file)
    for (const match of text.matchAll(/new MigrateError\(/g)) {
      // Up to the first comma outside brackets: a literal, or a conditional between literals.
      let depth = 0
      let end = match.index + match[0].length
      for (; end < text.length; end++) {
        const ch = text[end]!
        if ('([{'.includes(ch)) depth++
        else if (')]}'.includes(ch)) { if (depth-- === 0) break }
        else if (ch === ',' && depth === 0) break
      }
      const first = text.slice(match.index + match[0].length, end)
      const literals = [...first.matchAll(/'([A-Za-z_]+)'/g)].map((m) => m[1]!)
      for (const code of literals) add(code, rel)
    }
    for (const m of text.matchAll(/\bcode: '([A-Z_]+)'/g)) add(m[1]!, rel)
  }
  return used
}

function parse(r: CliResult, label: string): JsonOutput {
  // The whole of stdout is one document: nothing before or after it.
  let doc: JsonOutput
  try {
    doc = JSON.parse(r.stdout) as JsonOutput
  } catch (error) {
    throw new Error(`${label}: stdout is not one JSON document (${(error as Error).message}):\n${r.stdout}\n${r.stderr}`)
  }
  expect(doc.version, label).toBe(JSON_OUTPUT_VERSION)
  expect(Object.keys(doc)[0], label).toBe('version')
  return doc
}

type Kind = 'string' | 'number' | 'boolean' | 'array' | 'object' | 'string|null'
const RUN: Record<string, Kind> = {
  outcome: 'string', fastPath: 'boolean', databasePath: 'string', configFile: 'string|null', schemaPath: 'string', schemaHash: 'string',
  warnings: 'array', unexecutable: 'array', deletedBackups: 'array', unmodelledTables: 'array', durationMs: 'number',
}
const BACKUP: Record<string, Kind> = { path: 'string', name: 'string', createdAt: 'string', size: 'number', verified: 'boolean' }
/** The required fields of each documented member of JsonOutput, and their JSON types. */
const SHAPES: Record<string, Record<string, Kind>> = {
  apply: RUN,
  preview: RUN,
  check: RUN,
  plan: { ...RUN, pendingPlans: 'array' },
  status: { config: 'object', databaseExists: 'boolean', models: 'array', tables: 'array', unmodelledTables: 'array', pending: 'object', pendingPlans: 'array' },
  history: { entries: 'array' },
  backups: { backups: 'array' },
  restore: { config: 'object', restored: 'object', warnings: 'array' },
  generate: { config: 'object', path: 'string', changed: 'boolean', tables: 'number' },
  init: { created: 'array', gitignoreAdded: 'array', databasePath: 'string' },
  version: { toolVersion: 'string' },
}

function kindOf(value: unknown): Kind | 'undefined' | 'null' {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value as Kind
}

function checkShape(fields: Record<string, Kind>, value: Record<string, unknown>, label: string): void {
  for (const [key, kind] of Object.entries(fields)) {
    const actual = kindOf(value[key])
    expect(kind.split('|'), `${label}: ${key} is ${actual}`).toContain(actual)
  }
}

/** What a script would do with the exported types: narrow on ok and command. It must compile, and cover every member. */
function summary(doc: JsonOutput): string {
  if (!doc.ok) return `error ${doc.error.code}`
  switch (doc.command) {
    case 'apply': return `apply ${doc.outcome}${doc.client ? ` client ${doc.client}` : ''}`
    case 'preview': return `preview ${doc.outcome} ${doc.plan?.steps.length ?? 0}`
    case 'check': return `check ${doc.outcome}`
    case 'plan': return `plan ${doc.outcome}${doc.path ? ` ${doc.path}` : ''}`
    case 'status': return `status ${doc.pending.outcome} ${doc.tables.length}`
    case 'history': return `history ${doc.entries.length}`
    case 'backups': return `backups ${doc.backups.length}`
    case 'restore': return `restore ${doc.restored.name}`
    case 'generate': return `generate ${doc.tables}`
    case 'init': return `init ${doc.created.length}`
    case 'pull': return `pull ${doc.files.length}`
    case 'version': return `version ${doc.toolVersion}`
  }
}

describe('--json output', () => {
  it('every error code the sources use is in ERROR_CODES, and every listed code is used', () => {
    const used = codesUsed()
    const listed = new Set<string>(ERROR_CODES)
    expect(used.size).toBeGreaterThan(15)
    for (const [code, where] of used) expect(listed.has(code), `${code} (used in ${where.join(', ')}) is not in ERROR_CODES`).toBe(true)
    for (const code of ERROR_CODES) expect(used.has(code), `${code} is listed but never used`).toBe(true)
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length)
    // One source: no other declaration of the union anywhere.
    const declarations = sources().filter((f) => /\btype ErrorCode\s*=/.test(readFileSync(f, 'utf8'))).map((f) => relative(REPO, f))
    expect(declarations).toEqual(['plugin/core/errors.ts'])
    const code: ErrorCode = ERROR_CODES[0]
    expect(typeof code).toBe('string')
  })

  it('every command, alias and error prints one versioned document of its documented shape', () => {
    const p = new Project()
    const seen: string[] = []
    const run = (args: string[], expected: { code: number, command?: string, ok?: boolean, error?: ErrorCode }) => {
      const label = args.join(' ')
      const r = p.cli([...args, '--json'])
      expect(r.code, `${label}: ${r.stderr}`).toBe(expected.code)
      const doc = parse(r, label)
      expect(doc.ok, label).toBe(expected.ok ?? true)
      if (expected.command) expect((doc as { command?: string }).command, label).toBe(expected.command)
      if (doc.ok) {
        checkShape(SHAPES[doc.command]!, doc as unknown as Record<string, unknown>, label)
        if (doc.command === 'status') checkShape(RUN, doc.pending as unknown as Record<string, unknown>, `${label} pending`)
        if (doc.command === 'backups') for (const b of doc.backups) checkShape(BACKUP, b as unknown as Record<string, unknown>, `${label} backup`)
        if (doc.command === 'restore') checkShape(BACKUP, doc.restored as unknown as Record<string, unknown>, `${label} restored`)
      } else {
        checkShape({ code: 'string', message: 'string' }, doc.error as unknown as Record<string, unknown>, label)
        expect(ERROR_CODES, label).toContain(doc.error.code)
        if (expected.error) expect(doc.error.code, label).toBe(expected.error)
      }
      seen.push(summary(doc))
      return doc
    }

    run(['init'], { code: 0, command: 'init' })
    run(['check'], { code: 2, command: 'check' })
    for (const alias of [['preview'], ['dry-run'], ['--preview'], ['--dry-run']]) run(alias, { code: 0, command: 'preview' })
    run(['status'], { code: 0, command: 'status' })
    run([], { code: 0, command: 'apply' })
    p.write('model/users.ts', USERS_MODEL.replace('  name: text(),', '  name: text(),\n  nickname: text(),'))
    const applied = run(['apply'], { code: 0, command: 'apply' })
    expect(applied.ok && applied.command === 'apply' && applied.backupPath).toBeTruthy()
    run(['check'], { code: 0, command: 'check' })
    run(['--status'], { code: 0, command: 'status' })
    for (const alias of [['history'], ['--history']]) run(alias, { code: 0, command: 'history' })
    run(['backups'], { code: 0, command: 'backups' })
    run(['restore', '--yes'], { code: 0, command: 'restore' })
    run(['generate'], { code: 0, command: 'generate' })
    // The restore took nickname away again: plan writes it as a file, apply --plan runs the file.
    const planned = run(['plan', '--name', 'nickname'], { code: 0, command: 'plan' })
    expect(planned.ok && planned.command === 'plan' && planned.outcome === 'pending' && planned.path).toMatch(/_nickname\.sql$/)
    const viaPlan = run(['apply', '--plan', (planned as { path: string }).path], { code: 0, command: 'apply' })
    expect(viaPlan.ok && viaPlan.command === 'apply' && viaPlan.plans?.[0]?.file).toBe((planned as { path: string }).path)
    expect(viaPlan.ok && viaPlan.command === 'apply' && viaPlan.plans?.[0]?.sha256).toMatch(/^[0-9a-f]{64}$/)
    run(['plan'], { code: 0, command: 'plan' })
    run(['--version'], { code: 0, command: 'version' })
    // Errors: a bad config, an unknown command, a bad option value, a model that does not load, init over a config.
    run(['check', '--config', 'missing.conf'], { code: 1, ok: false, command: 'check', error: 'CONFIG' })
    run(['aply'], { code: 1, ok: false, error: 'USAGE' })
    run(['history', '--limit', '0'], { code: 1, ok: false, command: 'history', error: 'USAGE' })
    run(['init'], { code: 1, ok: false, command: 'init', error: 'OUTPUT' })
    p.write('model/broken.ts', 'export const x = (\n')
    run(['apply'], { code: 1, ok: false, command: 'apply', error: 'MODEL_LOAD' })
    expect(seen).toHaveLength(25)
    expect(seen).toEqual(expect.arrayContaining(['init 3', 'check pending', 'apply applied client not-installed', 'check in-sync', 'backups 1', 'plan in-sync', 'error MODEL_LOAD']))
  })
})
