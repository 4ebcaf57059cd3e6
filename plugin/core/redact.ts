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
const NOT_SECRET = /^(mode|immutable|cache|nolock|vfs|psow|modeof)$/i

/**
 * Where the userinfo of `rest` (a URL after `scheme://`) ends: its last `@` before the path.
 * Passwords may hold `/` and `@` unencoded, so the last `@` of the whole token is taken — masking
 * too much of a strange URL is harmless, printing part of a password is not.
 */
function userinfoEnd(rest: string): number {
  const query = rest.search(/[?#]/)
  const head = query >= 0 ? rest.slice(0, query) : rest
  const at = head.lastIndexOf('@')
  if (at >= 0) return at
  // An unencoded "#" or "?" inside the password (`admin:p#ss@host`) looks like the start of a
  // fragment or query: a user:password pair before a later "@" is still taken for userinfo.
  const later = rest.lastIndexOf('@')
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
  for (const secret of [...known].sort((a, b) => b.length - a.length)) out = out.split(secret).join(MASK)
  return out
}

/** Only for tests: forget remembered secrets. */
export function forgetSecrets(): void {
  known.clear()
}
