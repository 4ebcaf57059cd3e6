import { rmSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { isSecretName, redactSecrets } from '../plugin/core/redact.ts'
import { Project } from './helpers.ts'
import { cliOnTerminal } from './tty.ts'

/**
 * "No secret is ever printed", for secrets that are not in the database URL: values stored in the
 * database that the data-loss question shows as examples, and secrets inside error texts. Secrets
 * are told by their key (`password=…`, `"token": "…"`), by the name of their column, or by the
 * shape providers give their tokens.
 */
const projects: Project[] = []
afterEach(() => {
  for (const p of projects.splice(0)) rmSync(p.root, { recursive: true, force: true })
})

/** [what, text, the secret part that must never show] */
const SECRET_TEXTS: [string, string, string][] = [
  ['password= at the start', 'password=hunter2', 'hunter2'],
  ['password= after a separator', 'x;password=hunter2', 'hunter2'],
  ['token=', 'token=abc123', 'abc123'],
  ['api_key=', 'api_key=k3yv4lue', 'k3yv4lue'],
  ['an env line with a prefixed key', 'export DB_PASSWORD=s3cr3tpw', 's3cr3tpw'],
  ['key: value', 'client_secret: shhh-42', 'shhh-42'],
  ['JSON', '{"user": "ann", "password": "hunter2json"}', 'hunter2json'],
  ['JSON with an escaped quote', '{"apiKey": "ab\\"cd9"}', 'cd9'],
  ['a quoted YAML value', "auth_token: 'yamltok9'", 'yamltok9'],
  ['an Authorization header', 'Authorization: Bearer abcdefgh12345', 'abcdefgh12345'],
  ['a bare bearer token', 'sent Bearer zyxwvu987654 to the API', 'zyxwvu987654'],
  ['a Stripe live key', 'sk_live_abcdef1234567890', 'abcdef1234567890'],
  ['a Stripe restricted test key', 'key rk_test_51Habcdef0987', '51Habcdef0987'],
  ['an AWS access key id', 'AKIAIOSFODNN7EXAMPLE', 'IOSFODNN7EXAMPLE'],
  ['an AWS session key id', 'id ASIAIOSFODNN7EXAMPL2 here', 'IOSFODNN7EXAMPL2'],
  ['a GitHub token', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'abcdefghijklmnopqrstuvwxyz0123456789'],
  ['a GitHub fine-grained token', 'github_pat_11ABCDEFG0123456789_abcdefXYZ', '11ABCDEFG0123456789_abcdefXYZ'],
  ['a GitHub app token', '(ghs_16C7e42F292c6912E7710c838347Ae178B4a)', '16C7e42F292c6912E7710c838347Ae178B4a'],
  ['a Slack token', 'xoxb-123456789012-abcdefGHIJ', '123456789012-abcdefGHIJ'],
  ['a Google API key', 'AIzaSyA1234567890abcdefghijklmnopqrstu', 'SyA1234567890abcdefghijklmnopqrstu'],
  ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl', 'eyJzdWIiOiIxMjM0In0'],
  ['a PEM private key block', '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC'],
  ['a PEM RSA key cut short', '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq9', 'MIIEowIBAAKCAQEA7bq9'],
]

/** Texts this tool prints that hold secret-ish words but no secret: they stay as they are. */
const PLAIN_TEXTS = [
  '100 rows in 30000 ms',
  'column users.password: 3 non-null value(s) will be dropped',
  'table auth: 2 row(s) will be dropped',
  'table token: 2 row(s) will be dropped',
  'author: Ann',
  'primary key: id',
  'tokens=3',
  'Unexpected token, expected ","',
  'model/users.ts:3:5: the model file failed to load',
  'You are about to drop the column `password` on the `users` table, which still contains 1 non-null values.',
  'password=*** and postgres://u:***@h/db',
  'skip_live_tests and task_test_1',
]

describe('secrets in free text', () => {
  it.each(SECRET_TEXTS)('%s is masked', (_what, text, secret) => {
    const shown = redactSecrets(text)
    expect(shown).not.toContain(secret)
    expect(shown).toContain('***')
    // Masking twice changes nothing: output passes through more than one layer.
    expect(redactSecrets(shown)).toBe(shown)
  })

  it.each(PLAIN_TEXTS)('%s stays as it is', (text) => {
    expect(redactSecrets(text)).toBe(text)
  })

  it('column names that say secret, read word by word', () => {
    for (const name of ['password', 'passwd', 'pwd', 'secret', 'token', 'api_key', 'apiKey', 'access_key', 'private_key', 'auth', 'credentials', 'userToken', 'AUTH_SECRET', 'password_hash'])
      expect(isSecretName(name), name).toBe(true)
    for (const name of ['author', 'tokenizer', 'name', 'email', 'keyword', 'passage', 'compass', 'authority_id'])
      expect(isSecretName(name), name).toBe(false)
  })
})

const MODEL = (extra: string) => `import { table, int, text } from 'migrate-plugin/model'

export const accounts = table('accounts', {
  id: int().primaryKey(),
  email: text(),${extra}
})
`
const FULL = MODEL(`
  password: text(),
  apiKey: text(),
  notes: text(),`)
const SESSIONS = `import { table, int, text } from 'migrate-plugin/model'

export const sessions = table('sessions', { id: int().primaryKey(), token: text(), note: text() })
`

/** Values that must never be printed, and the notes that carry secrets in their text. */
const STORED = {
  password: 'hunter2',
  apiKey: 'plainapikeyvalue',
  notes: ['password=notepass1', 'sk_live_abcdef1234567890', 'AKIAIOSFODNN7EXAMPLE', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq\n-----END PRIVATE KEY-----'],
}
const NEVER = ['hunter2', 'plainapikeyvalue', 'notepass1', 'abcdef1234567890', 'IOSFODNN7EXAMPLE', 'abcdefghijklmnopqrstuvwxyz0123456789', 'MIIEvQIBADANBgkq', 'sessiontok42']

async function withSecrets(): Promise<Project> {
  const p = new Project({ 'model/accounts.ts': FULL, 'model/sessions.ts': SESSIONS })
  projects.push(p)
  await p.migrate()
  const insert = p.db()
  STORED.notes.forEach((note, i) => insert.prepare('INSERT INTO accounts (id, email, password, apiKey, notes) VALUES (?, ?, ?, ?, ?)').run(i + 1, `u${i}@x`, STORED.password, STORED.apiKey, note))
  insert.prepare("INSERT INTO sessions (id, token, note) VALUES (1, 'sessiontok42', 'hello')").run()
  insert.close()
  return p
}

describe('stored secrets in the data-loss question and check', () => {
  it('dropping secret columns and a table of tokens: the question on a terminal, apply --json, check, check --json and preview never show a stored secret', async () => {
    const p = await withSecrets()
    p.write('model/accounts.ts', MODEL(''))
    p.write('model/sessions.ts', '')
    p.write('migration.conf', '[migration]\ndrop_unmodelled_tables = true\n')
    const before = p.hash()
    // The question, on a terminal, answered "no".
    const asked = cliOnTerminal(p, ['apply'], {}, 'n\n')
    expect(asked.code, asked.output).toBe(1)
    const outputs: string[] = [asked.output]
    for (const args of [['apply'], ['apply', '--json'], ['check'], ['check', '--json'], ['preview'], ['preview', '--json']]) {
      const r = p.cli(args)
      outputs.push(`${args.join(' ')} → ${r.code}\n${r.stdout}${r.stderr}`)
    }
    const all = outputs.join('\n')
    for (const secret of NEVER) expect(all, all).not.toContain(secret)
    // The question is still asked, with its examples masked rather than left out.
    expect(all).toMatch(/accounts\.password: 5 non-null value\(s\) will be dropped \(e\.g\. '\*\*\*'/)
    expect(all).toMatch(/accounts\.notes: 5 non-null value\(s\) will be dropped \(e\.g\. .*'password=\*\*\*'/)
    expect(all).toMatch(/sk_live_\*\*\*/)
    expect(all).toMatch(/table sessions: 1 row\(s\) will be dropped \(e\.g\. \(id 1, token '\*\*\*', note 'hello'\)/)
    // Non-secret columns still show their values: the user can tell which rows would go.
    expect(all).toContain("'hello'")
    expect(p.hash()).toBe(before)
  })

  it('a secret inside a model load error is masked', () => {
    const p = new Project({ 'model/m.ts': "throw new Error('cannot connect with password=loadpw99 and token sk_live_zzzz12345678')\n" })
    projects.push(p)
    for (const args of [['apply'], ['apply', '--json'], ['check', '--json']]) {
      const r = p.cli(args)
      expect(r.code).toBe(1)
      expect(r.stdout + r.stderr).not.toMatch(/loadpw99|zzzz12345678/)
      expect(r.stdout + r.stderr).toMatch(/password=\*\*\*/)
    }
  })
})
