import { boolean, datetime, enumType, int, table, text, type InferRow } from 'migrate-plugin/model'

export const role = enumType('Role', ['customer', 'staff', 'admin'])

export const users = table('users', {
  id: int().primaryKey({ autoIncrement: true }),
  email: text().notNull().unique(),
  name: text(),
  role: role().notNull().default('customer'),
  isActive: boolean().notNull().default(true),
  createdAt: datetime().notNull().defaultNow(),
})

export type User = InferRow<typeof users>
