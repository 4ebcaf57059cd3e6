/** SQLite identifiers, quoted the one way every statement we build needs them. */
export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`

/** `"a""b"` → `a"b`; a bare name is returned as it is. */
export const unquoteIdent = (name: string): string => (/^".*"$/s.test(name) ? name.slice(1, -1).replace(/""/g, '"') : name)

/** A string literal for SQL text we show or run (values are bound where we can). */
export const quoteLiteral = (value: string): string => `'${value.replace(/'/g, "''")}'`
