import { createHash } from 'node:crypto'
import type Database from 'better-sqlite3'
import { quoteIdent } from '../../core/sql.ts'

/**
 * What a database holds, as one comparable string: its schema (every object in sqlite_master),
 * its user_version, and for every table the row count and a checksum of the rows. Two files with
 * equal digests hold the same data, however their pages are laid out — which is what a restore
 * must prove after copying, since SQLite's backup can finish without copying anything.
 *
 * Rows are checksummed as a multiset (the sum of each row's hash, modulo 2^64) so that the scan
 * order, which an index the planner picks could change, does not matter, while duplicate rows
 * still count (a XOR would let a pair cancel out).
 */
export function contentDigest(db: Database.Database): string {
  const hash = createHash('sha256')
  const objects = db.prepare(`SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name`).all() as
    { type: string, name: string, tbl_name: string, sql: string | null }[]
  hash.update(JSON.stringify(objects))
  hash.update(`user_version=${String(db.pragma('user_version', { simple: true }))}`)
  for (const o of objects) {
    // A virtual table's rows live in its shadow tables, which are tables of their own here;
    // reading one directly would need its module to be loaded.
    if (o.type !== 'table' || /^\s*CREATE\s+VIRTUAL\b/i.test(o.sql ?? '')) continue
    let sum = 0n
    let count = 0
    const rows = db.prepare(`SELECT * FROM ${quoteIdent(o.name)}`).raw(true).safeIntegers(true)
    for (const row of rows.iterate() as Iterable<unknown[]>) {
      const h = createHash('sha256').update(JSON.stringify(row, encode)).digest()
      sum = (sum + h.readBigUInt64BE(0)) & 0xffffffffffffffffn
      count++
    }
    hash.update(`\n${o.name}:${count}:${sum.toString(16)}`)
  }
  return hash.digest('hex')
}

function encode(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return `i:${value.toString()}`
  if (typeof value === 'number') return `r:${Object.is(value, -0) ? '-0' : String(value)}`
  if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer') return `b:${Buffer.from((value as { data: number[] }).data).toString('hex')}`
  if (typeof value === 'string') return `t:${value}`
  return value
}
