/**
 * Secrets never reach output. A database URL can carry a password in several shapes
 * (`user:pass@host`, with `/` and `@` inside the password; `?password=`, `?authToken=`;
 * `;password=` in SQL Server's form), and it can reach the user through error messages, `--json`,
 * bundler errors and history rows. Two layers, because neither is enough alone:
 * - shapes: anything that looks like a URL's userinfo or parameter value is masked wherever it is;
 * - values: the secrets of the configured URL are remembered when it is read, and masked anywhere,
 *   even where a driver or engine re-printed them out of their URL (decoded, or on their own).
 */

const MASK = '***'

/** Parameter names whose values are secrets even outside a URL's query (`;password=…`). */
const SECRET_KEY = '(?:password|passwd|pwd|pass|secret|key|token|auth_?token|access_?token|api_?key|apikey|access_?key|private_?key|sslpassword|sslkey|credentials?)'

const known = new Set<string>()

/**
 * Remember the secrets of a URL so that they are masked wherever they appear later. Only values
 * that can be told from ordinary words are remembered: a one-character password is still masked
 * in every URL shape, but not in free text (masking every "x" would garble every message).
 */
export function rememberSecrets(url: string): void {
  for (const secret of secretsOf(url)) {
    for (const form of [secret, safeDecode(secret)]) if (form.length >= 3) known.add(form)
  }
}

function secretsOf(url: string): string[] {
  const secrets: string[] = []
  const scheme = /^[a-z][a-z0-9+.-]+:(\/\/)?\/?/i.exec(url)
  if (scheme) {
    const rest = url.slice(scheme[0].length)
    const at = userinfoEnd(rest)
    if (at >= 0) {
      const userinfo = rest.slice(0, at)
      const colon = userinfo.indexOf(':')
      if (colon >= 0 || scheme[1]) secrets.push(colon >= 0 ? userinfo.slice(colon + 1) : userinfo)
    }
  }
  // Query values: a driver may take its token under any name, so any long value counts; short and
  // numeric ones (connection_limit=100) are left to the URL-shape masking, or every "100" would go.
  const query = url.indexOf('?')
  if (query >= 0) {
    for (const pair of url.slice(query + 1).split(/[&;]/)) {
      const eq = pair.indexOf('=')
      if (eq <= 0 || NOT_SECRET.test(pair.slice(0, eq))) continue
      const value = pair.slice(eq + 1)
      if (new RegExp(`^${SECRET_KEY}$`, 'i').test(pair.slice(0, eq)) || (value.length >= 8 && !/^[\d.]+$|^(true|false)$/i.test(value))) secrets.push(value)
    }
  }
  for (const m of url.matchAll(new RegExp(`;\\s*${SECRET_KEY}\\s*=\\s*(\\{[^}]*\\}|[^;]*)`, 'gi'))) secrets.push(m[1]!)
  return secrets.filter((s) => s !== '')
}

/** Query parameters that steer SQLite and are never secret; their values stay readable. */
const NOT_SECRET = /^(mode|immutable|cache|nolock|vfs|psow|modeof|schema|sslmode|sslrootcert|connect_timeout|application_name|options|host|port|user|dbname|target_session_attrs)$/i

/**
 * Where the userinfo of `rest` (a URL after `scheme://`) ends: its last `@` before the path.
 * Passwords may hold `/` and `@` unencoded, so the last `@` of the whole token is taken — masking
 * too much of a strange URL is harmless, printing part of a password is not.
 */
function userinfoEnd(rest: string): number {
  const query = rest.search(/[?#]/)
  const head = query >= 0 ? rest.slice(0, query) : rest
  const at = head.lastIndexOf('@')
  const later = rest.lastIndexOf('@')
  if (at >= 0) {
    // `admin:p@ss#w?rd@host/db`: the first "#" or "?" is inside the password when no path began
    // between the "@" before it and it, and another "@" follows — then that later "@" ends the userinfo.
    if (later > query && query >= 0 && head.includes(':') && !head.slice(at + 1).includes('/')) return later
    return at
  }
  // An unencoded "#" or "?" inside the password (`admin:p#ss@host`) looks like the start of a
  // fragment or query: a user:password pair before a later "@" is still taken for userinfo.
  return later >= 0 && head.includes(':') ? later : -1
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '))
  } catch {
    return value
  }
}

/** Mask every secret in `text`. Idempotent; safe on text that holds no URL at all. */
export function redactSecrets(text: string): string {
  if (!text) return text
  let out = text.replace(/\b([a-z][a-z0-9+.-]+:(\/\/)?\/?)([^\s"'<>`]*)/gi, (all, scheme: string, slashes: string | undefined, rest: string) => {
    // A file URL has no userinfo: `file:///…/node_modules/@prisma/…` is a path to keep readable.
    if (/^file:/i.test(scheme)) return all
    const at = userinfoEnd(rest)
    if (at < 0) return all
    const userinfo = rest.slice(0, at)
    const colon = userinfo.indexOf(':')
    // Without "//" (`postgres:/u:p@h`), only a user:password pair is taken for userinfo: `mailto:a@b` is not one.
    if (colon < 0 && !slashes) return all
    return `${scheme}${colon >= 0 ? `${userinfo.slice(0, colon)}:${MASK}` : MASK}${rest.slice(at)}`
  })
  // Query values (`?authToken=…&x=…`), except the few that only steer SQLite.
  out = out.replace(/([?&])([A-Za-z0-9_.\-[\]%]+)=([^&\s#;"'<>`]*)/g, (all, sep: string, key: string, value: string) =>
    NOT_SECRET.test(key) || value === MASK ? all : `${sep}${key}=${MASK}`)
  // `;password=…` (SQL Server, JDBC, ODBC), including `{…}`-quoted values with `;` inside.
  out = out.replace(new RegExp(`(;\\s*${SECRET_KEY}\\s*=\\s*)(\\{[^}]*\\}|[^;\\s"'<>\`]*)`, 'gi'), (_all, key: string) => `${key}${MASK}`)
  out = maskAssignments(out)
  out = maskTokens(out)
  for (const secret of [...known].sort((a, b) => b.length - a.length)) out = out.split(secret).join(MASK)
  return out
}

/**
 * A key that says its value is a secret, as it appears outside a URL: in free text, in a stored
 * value, in an environment dump or in JSON (`password=…`, `api_key: …`, `"token": "…"`). It may be
 * a compound name that ends in such a word (`db_password`, `X-Api-Key`, `clientSecret`). Bare
 * `key` and `pass` are left out here: "primary key: id" or "pass: 2" are ordinary words.
 */
const SECRET_WORD = '(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key|auth|authorization|credentials?|session[_-]?id|cookie)'

/**
 * True when a column or field name says its values are secrets: `password`, `api_key`, `userToken`,
 * `AUTH_SECRET`. Read word by word (snake, kebab and camel case), so `author` or `tokenizer_name`
 * are not taken for one, and a two-word name (`access key`) counts only as a pair.
 */
export function isSecretName(name: string): boolean {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean)
  return words.some((word, i) => SECRET_WORDS.has(word) || SECRET_PAIRS.has(`${word} ${words[i + 1] ?? ''}`))
}

const SECRET_WORDS = new Set(['password', 'passwd', 'passphrase', 'pwd', 'pw', 'secret', 'secrets', 'token', 'tokens', 'apikey', 'auth', 'credential', 'credentials', 'cookie', 'privatekey', 'accesskey', 'secretkey', 'otp', 'totp', 'salt', 'pin', 'ssn', 'cvv'])
const SECRET_PAIRS = new Set(['api key', 'access key', 'private key', 'secret key', 'session id', 'session key', 'signing key', 'encryption key', 'client secret', 'refresh token', 'access token'])

const ASSIGNMENT = new RegExp(
  // The key, not glued to a preceding letter or digit: `author:` or `tokens=3` are not secrets.
  `((?<![A-Za-z0-9])["']?[A-Za-z0-9_.-]*${SECRET_WORD}["']?\\s*(?:=|:(?!//))\\s*)`
  // The value: quoted (JSON, YAML, code) or bare up to a separator.
  + `("(?:[^"\\\\]|\\\\.)*"|'(?:[^'\\\\]|\\\\.)*'|\\{[^}]*\\}|(?:Bearer|Basic|Token)\\s+[^\\s;,&"'<>\`)\\]}]+|[^\\s;,&"'<>\`)\\]}]+)`,
  'gi',
)

function maskAssignments(text: string): string {
  return text.replace(ASSIGNMENT, (all, key: string, value: string, offset: number) => {
    // This tool's own "column users.password: 3 value(s)…" and "table auth: 2 row(s)…" name a
    // column or table; what follows is a count, not the column's value.
    if (/:\s*$/.test(key) && (key.includes('.') || /(?:table|column|index|view|trigger|model|field)\s+["'`]?$/i.test(text.slice(Math.max(0, offset - 12), offset)))) return all
    const quote = /^["']/.test(value) ? value[0]! : ''
    const inner = quote ? value.slice(1, -1) : value
    if (inner === '' || inner === MASK || inner.includes(MASK)) return all
    return `${key}${quote}${MASK}${quote}`
  })
}

/**
 * Secrets that tell themselves apart by shape wherever they are, without a key: providers give
 * their tokens fixed prefixes so that leaks can be found, and those prefixes never start a word.
 * The prefix stays readable (it says which kind of credential it was); the secret part goes.
 */
const TOKEN_SHAPES: [RegExp, (m: string, ...groups: string[]) => string][] = [
  // PEM private keys, whole block; a block cut short (a truncated value) is masked to its end.
  [/-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----[\s\S]*?(?:-----END [A-Z0-9 ]*-----|$)/g, (_m, kind) => `-----BEGIN ${kind}----- ${MASK} -----END ${kind}-----`],
  // Stripe secret, restricted and publishable keys; webhook secrets.
  [/(?<![A-Za-z0-9])((?:sk|rk|pk)_(?:live|test)_|whsec_)[A-Za-z0-9]{6,}/g, (_m, prefix) => `${prefix}${MASK}`],
  // GitHub tokens.
  [/(?<![A-Za-z0-9])((?:ghp|gho|ghu|ghs|ghr)_|github_pat_)[A-Za-z0-9_]{10,}/g, (_m, prefix) => `${prefix}${MASK}`],
  // AWS access key ids.
  [/(?<![A-Za-z0-9])((?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA))[A-Z0-9]{16}(?![A-Za-z0-9])/g, (_m, prefix) => `${prefix}${MASK}`],
  // Slack tokens and webhooks.
  [/(?<![A-Za-z0-9])(xox[abposre]-)[A-Za-z0-9-]{6,}/g, (_m, prefix) => `${prefix}${MASK}`],
  [/(hooks\.slack\.com\/services\/)[A-Za-z0-9/]+/g, (_m, prefix) => `${prefix}${MASK}`],
  // Google API keys.
  [/(?<![A-Za-z0-9])(AIza)[0-9A-Za-z_-]{30,}/g, (_m, prefix) => `${prefix}${MASK}`],
  // JSON Web Tokens: three base64url parts, the first a JSON object ("eyJ" is `{"`).
  [/(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, () => MASK],
  // Other common prefixed tokens: OpenAI/Anthropic-style sk-…, GitLab glpat-, npm npm_, Hugging Face hf_.
  [/(?<![A-Za-z0-9])(sk-(?:ant-|proj-)?|glpat-|npm_|hf_)[A-Za-z0-9_-]{20,}/g, (_m, prefix) => `${prefix}${MASK}`],
  // An Authorization header's credentials.
  [/(?<![A-Za-z0-9])((?:Bearer|Basic) )[A-Za-z0-9._~+/=-]{8,}/g, (_m, prefix) => `${prefix}${MASK}`],
]

function maskTokens(text: string): string {
  let out = text
  for (const [shape, replace] of TOKEN_SHAPES) out = out.replace(shape, replace as (m: string, ...groups: string[]) => string)
  return out
}

/** Only for tests: forget remembered secrets. */
export function forgetSecrets(): void {
  known.clear()
}
