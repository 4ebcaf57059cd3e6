/** Text to match literally inside a RegExp (a path, a table name, an engine statement). */
export const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
