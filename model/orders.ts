import { datetime, index, int, real, table, text, unique } from 'migrate-plugin/model'
import { products } from './products.ts'
import { users } from './users.ts'

export const orders = table('orders', {
  id: int().primaryKey({ autoIncrement: true }),
  userId: int().notNull().references(() => users.id, { onDelete: 'cascade' }),
  status: text().notNull().default('pending'),
  total: real().notNull().default(0),
  createdAt: datetime().notNull().defaultNow(),
}, (t) => [index(t.userId)])

export const orderItems = table('order_items', {
  id: int().primaryKey({ autoIncrement: true }),
  orderId: int().notNull().references(() => orders.id, { onDelete: 'cascade' }),
  productId: int().notNull().references(() => products.id, { onDelete: 'restrict' }),
  quantity: int().notNull().default(1),
  unitPrice: real().notNull(),
}, (t) => [unique(t.orderId, t.productId)])
