import { afterEach, describe, expect, it } from 'vitest'
import { MigrateError } from '../plugin/core/errors.ts'
import { forgetSecrets, redactSecrets } from '../plugin/core/redact.ts'
import { parsePostgresLocation } from '../plugin/targets/postgres/url.ts'

// The URL shapes found from outside: passwords with unencoded "@", "#", "?" and "/", parameters that
// steer the connection (readable on purpose), and paths that only look like userinfo. Each is checked
// by shape alone — nothing remembered from a parsed config — because messages can carry URLs the
// config never held (a driver's own error, another project's setting).
afterEach(() => forgetSecrets())

describe('database URLs in messages', () => {
  const masked: [string, string][] = [
    ['postgresql://admin:p@ss#w?rd@db.example.com:5432/shop', 'postgresql://admin:***@db.example.com:5432/shop'],
    ['postgresql://admin:p#ss@db.example.com/shop', 'postgresql://admin:***@db.example.com/shop'],
    ['postgresql://admin:p?ss@db.example.com/shop', 'postgresql://admin:***@db.example.com/shop'],
    ['postgresql://admin:a/b@c@db.example.com/shop', 'postgresql://admin:***@db.example.com/shop'],
    ['postgres://app:s3cr%40t@db:6543/shop?sslmode=require&schema=sales', 'postgres://app:***@db:6543/shop?sslmode=require&schema=sales'],
    ['postgres://app@db/shop?password=Hunter22', 'postgres://***@db/shop?password=***'],
  ]
  it.each(masked)('%s is printed as %s', (url, expected) => {
    const said = redactSecrets(`connection to ${url} failed`)
    expect(said).toBe(`connection to ${expected} failed`)
  })

  it('keeps paths that only look like userinfo: npm scopes in file URLs and plain paths', () => {
    for (const text of [
      'at file:///work/proj/node_modules/@prisma/adapter-pg/dist/index.mjs:12:3',
      'at /work/proj/node_modules/@prisma/adapter-pg/dist/index.mjs:12:3',
      'pglite:./data/@prisma',
      'model/users.ts:3: a@b',
    ]) expect(redactSecrets(text)).toBe(text)
  })

  it('a URL a password broke is refused with a message that shows none of it', () => {
    for (const url of ['postgresql://admin:p@ss#w?rd@db.example.com:5432/shop', 'postgresql://admin:a/b@c@db/shop']) {
      let error: unknown
      try {
        parsePostgresLocation(url, '/proj')
      } catch (e) {
        error = e
      }
      expect(error, url).toBeInstanceOf(MigrateError)
      const text = `${(error as MigrateError).message} ${(error as MigrateError).hint ?? ''}`
      for (const part of ['p@ss', 'ss#w', 'w?rd', 'a/b@c']) expect(text, url).not.toContain(part)
    }
  })
})
