/**
 * Prisma-style names for generated models and relation fields: table `users` becomes model `User`,
 * and a list of posts is the field `posts`. The rules are a small, fixed set for regular English
 * plurals, written out here rather than taken from a dictionary package: a model name is the
 * Prisma Client's API (`prisma.user`), so it must never change under a user's feet because a
 * dependency learned a new word. Anything the rules get wrong is fixed with `modelName`.
 */

/** Plurals that follow no rule, both ways. */
const IRREGULAR: Record<string, string> = {
  people: 'person',
  men: 'man',
  women: 'woman',
  children: 'child',
  mice: 'mouse',
  geese: 'goose',
  teeth: 'tooth',
  feet: 'foot',
  movies: 'movie',
  cookies: 'cookie',
}
const IRREGULAR_PLURAL: Record<string, string> = Object.fromEntries(Object.entries(IRREGULAR).map(([p, s]) => [s, p]))

/** Words that are the same in both numbers. */
const INVARIANT = new Set(['news', 'series', 'species', 'data', 'metadata', 'media', 'information', 'equipment', 'sheep', 'fish'])

/** Singular words that end in "s" (their plural adds "es"). */
const SINGULAR_S = new Set(['gas', 'alias', 'bias', 'atlas', 'canvas', 'lens'])

/** Endings whose plural adds "es" (and whose "es" is dropped again): box → boxes, match → matches, class → classes. */
const ES_ENDING = '(tch|[nrl]ch|[aeo]ach|eech|uch|sh|x|ss)'
const ES_PLURAL = new RegExp(`${ES_ENDING}$`, 'i')
const ES_SINGULAR = new RegExp(`${ES_ENDING}es$`, 'i')

/** The last word of a name, for irregular and invariant words: `salesPeople` → `People`, `order_items` → `items`. */
function lastWord(name: string): string {
  return /[A-Z]?[a-z0-9]+$|[A-Z0-9]+$/.exec(name)?.[0] ?? name
}

/** Replace the last `cut` characters with `add`, in capitals when the word is written in capitals. */
function swapEnding(name: string, cut: number, add: string): string {
  const word = lastWord(name)
  const upper = word === word.toUpperCase() && /[A-Z].*[A-Z]/.test(word)
  return name.slice(0, name.length - cut) + (upper ? add.toUpperCase() : add)
}

function withWord(name: string, word: string, replacement: string): string {
  const first = word[0]!
  const fitted = word === word.toUpperCase() && word.length > 1
    ? replacement.toUpperCase()
    : (first === first.toUpperCase() ? replacement[0]!.toUpperCase() + replacement.slice(1) : replacement)
  return name.slice(0, name.length - word.length) + fitted
}

/** `users` → `user`, `categories` → `category`, `addresses` → `address`, `statuses` → `status`, `people` → `person`. */
export function singular(name: string): string {
  const word = lastWord(name)
  const lower = word.toLowerCase()
  if (INVARIANT.has(lower) || SINGULAR_S.has(lower)) return name
  const irregular = IRREGULAR[lower]
  if (irregular) return withWord(name, word, irregular)
  if (/(ss|us|is)$/i.test(name)) return name
  // The plural of an invariant-looking singular: aliases → alias, gases → gas.
  if (/es$/i.test(word) && SINGULAR_S.has(lower.slice(0, -2))) return swapEnding(name, 2, '')
  let result = name
  if (/[^aeiou]ies$/i.test(name)) result = swapEnding(name, 3, 'y')
  // statuses → status, but houses → house and causes → cause.
  else if (/[^aeiou]uses$/i.test(name)) result = swapEnding(name, 2, '')
  else if (ES_SINGULAR.test(name)) result = swapEnding(name, 2, '')
  else if (/s$/i.test(name)) result = swapEnding(name, 1, '')
  // A word cut down to one letter was an abbreviation, not a plural ("s", "as").
  return lastWord(result).length >= 2 ? result : name
}

/** The inverse for regular words: `user` → `users`, `category` → `categories`, `status` → `statuses`. */
export function plural(name: string): string {
  const word = lastWord(name)
  const lower = word.toLowerCase()
  if (INVARIANT.has(lower) || IRREGULAR[lower]) return name
  const irregular = IRREGULAR_PLURAL[lower]
  if (irregular) return withWord(name, word, irregular)
  if (/[^aeiou]y$/i.test(name)) return swapEnding(name, 1, 'ies')
  if (/us$/i.test(name) || SINGULAR_S.has(lower) || ES_PLURAL.test(name)) return swapEnding(name, 0, 'es')
  if (/s$/i.test(name)) return name
  return swapEnding(name, 0, 's')
}

/** `order_items` → `OrderItem`, `users` → `User`, `orderItems` → `OrderItem`, `user` → `User`. */
export function modelNameFor(table: string): string {
  const words = table.split(/[^A-Za-z0-9]+/).filter(Boolean)
  if (words.length === 0) return 'T'
  words[words.length - 1] = singular(words[words.length - 1]!)
  const joined = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')
  return /^[A-Za-z]/.test(joined) ? joined : `T${joined}`
}

export function lowerFirst(name: string): string {
  return name[0]!.toLowerCase() + name.slice(1)
}

/** A field name from a model name: `OrderItem` → `orderItem`, `HTTPLog` → `httpLog`, `USER` → `user`. */
export function camel(name: string): string {
  const caps = /^[A-Z]+/.exec(name)?.[0] ?? ''
  if (caps.length <= 1) return lowerFirst(name)
  if (caps.length === name.length) return name.toLowerCase()
  // The last capital of a run starts the next word when a lower-case letter follows it.
  const keep = /[a-z]/.test(name[caps.length] ?? '') ? caps.length - 1 : caps.length
  return name.slice(0, keep).toLowerCase() + name.slice(keep)
}

export function upperFirst(name: string): string {
  return name[0]!.toUpperCase() + name.slice(1)
}

/** Names Prisma refuses for a model: its scalar types, and the client class. */
export const RESERVED_MODEL_NAMES = new Set([
  'String', 'Int', 'Float', 'Boolean', 'DateTime', 'Json', 'Bytes', 'Decimal', 'BigInt', 'PrismaClient',
])
