import { datetime, index, int, real, table, text } from 'migrate-plugin/model'

export const products = table('products', {
  id: int().primaryKey({ autoIncrement: true }),
  sku: text().notNull().unique(),
  name: text().notNull(),
  description: text(),
  price: real().notNull().default(0),
  stock: int().notNull().default(0),
  createdAt: datetime().notNull().defaultNow(),
}, (t) => [index(t.name)])
