/**
 * Type assertions for the model DSL, compiled by test/dsl-types.test.ts (and by `tsc --noEmit`).
 * Every line here is checked at compile time: an `expectTypeOf` that no longer holds, or an
 * `@ts-expect-error` whose line compiles, fails the compilation and so the test.
 */
import { expectTypeOf } from 'vitest'
import type { Decimal as PrismaDecimal, DecimalJsLike } from '@prisma/client/runtime/client'
import {
  bigint, boolean, bytes, datetime, decimal, enumType, index, int, json, real, sql, table, text,
  type DecimalLike, type InferInsert, type InferRow, type InferSelect,
} from 'migrate-plugin/model'

const role = enumType('Role', ['admin', 'member'])
type UserId = number & { readonly brand: 'UserId' }
const timestamps = {
  createdAt: datetime().notNull().defaultNow(),
  updatedAt: datetime().notNull().updatedAt(),
}

export const users = table('users', {
  id: int().primaryKey({ autoIncrement: true }).$type<UserId>(),
  email: text().notNull().unique(),
  name: text(),
  status: text().notNull().$type<'active' | 'banned'>().default('active'),
  role: role().notNull(),
  balance: decimal().notNull(),
  credit: decimal().default('0.00'),
  score: real().notNull().default(0),
  isAdmin: boolean().notNull().default(false),
  settings: json().$type<{ theme: 'dark' | 'light' }>(),
  big: bigint().notNull(),
  avatar: bytes(),
  token: text().notNull().defaultUuid(),
  day: datetime().notNull().default(sql`CURRENT_DATE`),
  ...timestamps,
}, { extras: (t) => [index(t.createdAt)], renamedFrom: 'people' })

// Not autoincrement: Prisma Client wants the id on create, so the insert type does too.
export const tags = table('tags', { id: int().primaryKey(), label: text().notNull() }, (t) => [index(t.label)], { modelName: 'Tag' })

type Row = InferRow<typeof users>
expectTypeOf<Row>().toEqualTypeOf<{
  id: UserId
  email: string
  name: string | null
  status: 'active' | 'banned'
  role: 'admin' | 'member'
  balance: DecimalLike
  credit: DecimalLike | null
  score: number
  isAdmin: boolean
  settings: { theme: 'dark' | 'light' } | null
  big: bigint
  avatar: Uint8Array | null
  token: string
  day: Date
  createdAt: Date
  updatedAt: Date
}>()
expectTypeOf<InferSelect<typeof users>>().toEqualTypeOf<Row>()

type Insert = InferInsert<typeof users>
expectTypeOf<Insert>().toEqualTypeOf<{
  email: string
  role: 'admin' | 'member'
  balance: DecimalLike | number | string
  big: bigint
  id?: UserId
  name?: string | null
  status?: 'active' | 'banned'
  credit?: DecimalLike | number | string | null
  score?: number
  isAdmin?: boolean
  settings?: { theme: 'dark' | 'light' } | null
  avatar?: Uint8Array | null
  token?: string
  day?: Date
  createdAt?: Date
  updatedAt?: Date
}>()
expectTypeOf<InferInsert<typeof tags>>().toEqualTypeOf<{ id: number, label: string }>()
expectTypeOf<InferRow<typeof tags>>().toEqualTypeOf<{ id: number, label: string }>()

// The least an insert needs, and what it may not leave out.
export const minimal: Insert = { email: 'a@x', role: 'member', balance: '1.50', big: 1n }
// @ts-expect-error email is required (NOT NULL, no default)
export const noEmail: Insert = { role: 'member', balance: 1, big: 1n }
// @ts-expect-error a NOT NULL column takes no null
export const nullRole: Insert = { ...minimal, role: null }
// @ts-expect-error $type narrowed the values: 'deleted' is not a status
export const badStatus: Insert = { ...minimal, status: 'deleted' }

// Prisma Client's Decimal is a DecimalLike, and a DecimalLike is what Prisma Client accepts back.
expectTypeOf<PrismaDecimal>().toExtend<DecimalLike>()
expectTypeOf<DecimalLike>().toExtend<DecimalJsLike>()
expectTypeOf<string>().not.toExtend<DecimalLike>()

// $type narrows the column's own type, and defaults follow it.
text().$type<'a' | 'b'>().default('a')
// @ts-expect-error 'c' is not one of the narrowed values
text().$type<'a' | 'b'>().default('c')
// @ts-expect-error $type cannot change a number column into text
int().$type<string>()
// @ts-expect-error a number column takes no text default
int().default('ten')
// @ts-expect-error sql takes no ${} values
sql`(${1})`

// The options object is checked like any object literal.
// @ts-expect-error renamedFom is not an option
table('x', { id: int().primaryKey() }, { renamedFom: 'y' })
// @ts-expect-error t has only this table's columns
table('x', { id: int().primaryKey() }, { extras: (t) => [index(t.nope)] })

// Builders return new columns: the original keeps its type.
const plain = text()
const strict = plain.notNull()
expectTypeOf<InferRow<ReturnType<typeof table<'p', { a: typeof plain, b: typeof strict }>>>>().toEqualTypeOf<{ a: string | null, b: string }>()
