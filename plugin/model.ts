/** `migrate-plugin/model`: the model DSL, importable from model files. */
export {
  table, int, integer, bigint, text, string, varchar, real, float, decimal, boolean, datetime, json, bytes, blob,
  enumType, index, unique, primaryKey, foreignKey, isTable, Column,
} from './model/dsl.ts'
export type {
  AnyColumn, AnyTable, ColumnKind, EnumType, ForeignKeyDef, IndexDef, InferRow, ReferenceOptions, ReferentialAction, Table, TableExtra, TableOptions,
} from './model/dsl.ts'
