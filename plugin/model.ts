/** `migrate-plugin/model`: the model DSL, importable from model files. */
export {
  table, int, integer, bigint, text, string, varchar, real, float, decimal, boolean, datetime, json, bytes, blob,
  enumType, index, unique, primaryKey, isTable, Column,
} from './model/dsl.ts'
export type {
  AnyColumn, AnyTable, ColumnKind, EnumType, IndexDef, InferRow, ReferenceOptions, ReferentialAction, Table, TableOptions,
} from './model/dsl.ts'
