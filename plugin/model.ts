/** `migrate-plugin/model`: the model DSL, importable from model files. */
export {
  table, int, integer, bigint, text, string, varchar, real, float, decimal, boolean, datetime, json, bytes, blob, unsupported,
  enumType, index, unique, primaryKey, foreignKey, isTable, sql, Column,
} from './model/dsl.ts'
export type {
  AnyColumn, AnyTable, ColumnKind, DecimalLike, EnumType, ForeignKeyDef, IndexDef, InferInsert, InferRow, InferSelect, ReferenceOptions,
  ReferentialAction, SqlExpression, Table, TableConfig, TableExtra, TableOptions,
} from './model/dsl.ts'
