import { closest, distance } from 'fastest-levenshtein'

/**
 * The known word a mistyped one was most likely meant to be, for "did you mean …?": the closest
 * candidate, if it is at most `max(atLeast, floor(length / per))` edits away. Config keys, commands
 * and options each choose their own tolerance; the model DSL has its own copy, since model files
 * import it and it imports nothing.
 */
export function nearestWord(word: string, candidates: readonly string[], tolerance: { atLeast: number, per: number, ignoreCase?: boolean }): string | undefined {
  const best = closest(word, candidates as string[])
  if (best === undefined) return undefined
  const edits = distance(tolerance.ignoreCase ? word.toLowerCase() : word, best)
  return edits <= Math.max(tolerance.atLeast, Math.floor(word.length / tolerance.per)) ? best : undefined
}
