import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { isIP } from 'node:net'

/**
 * Who may see the page and act through it: a browser on this machine, talking to this machine by a
 * loopback name. Vite itself lets any IP address through its Host check and `--host` listens on
 * every interface, so the page makes its own checks, each for a different attack:
 * - the peer address: another machine on the network;
 * - the Host header: DNS rebinding (a foreign page whose name resolves to 127.0.0.1);
 * - the Origin header: a foreign page posting to localhost from the user's own browser;
 * - the token: the same, for browsers or clients that send no Origin on a GET-turned-POST.
 */

/** One per process: read from the page, which only loopback requests get. */
const TOKEN = randomBytes(32).toString('hex')

export function pageToken(): string {
  return TOKEN
}

/** 127.0.0.0/8, ::1, and IPv4-mapped 127.x (what a dual-stack socket reports for an IPv4 peer). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false
  const plain = address.toLowerCase().replace(/^::ffff:/, '')
  if (isIP(plain) === 4) return plain.startsWith('127.')
  if (isIP(plain) === 6) return /^(0{0,4}:){7}0{0,3}1$|^::1$/.test(plain)
  return false
}

/** `localhost`, `127.x.y.z` or `[::1]`, each with or without a port; anything else is refused. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false
  const match = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host.trim().toLowerCase())
  if (!match) return false
  const name = match[1]!
  if (name === 'localhost') return true
  if (name.startsWith('[')) return isLoopbackAddress(name.slice(1, -1))
  return isIP(name) === 4 && isLoopbackAddress(name)
}

/** An `http://` origin whose host is a loopback name ("null", file: and https foreign pages are not). */
export function isLoopbackOrigin(origin: string): boolean {
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    return false
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false
  if (url.username || url.password || (url.pathname !== '/' && url.pathname !== '')) return false
  return isLoopbackHost(url.host)
}

/**
 * The page's own origin: the same port as the Host the request was sent to. Another program's page
 * on this machine (another dev server on another port) is loopback too, but is not the page.
 */
export function isOwnOrigin(origin: string, host: string): boolean {
  if (!isLoopbackOrigin(origin)) return false
  const port = (value: string) => /:(\d{1,5})$/.exec(value)?.[1] ?? ''
  const url = new URL(origin)
  const hostPort = /\]$|^[^:]*$/.test(host) ? '' : port(host)
  return (url.port || (url.protocol === 'https:' ? '443' : '80')) === (hostPort || (url.protocol === 'https:' ? '443' : '80'))
}

function tokenMatches(sent: string | undefined): boolean {
  if (!sent) return false
  const a = Buffer.from(sent)
  const b = Buffer.from(TOKEN)
  return a.length === b.length && timingSafeEqual(a, b)
}

const single = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? undefined : value)

/**
 * Why a request is refused, or undefined when it may go on. `action`: a POST that changes the
 * database, which needs an Origin and the token on top of the rest.
 */
export function refusal(req: IncomingMessage, action: boolean): string | undefined {
  if (!isLoopbackAddress(req.socket.remoteAddress)) return 'the migrate page answers only to this machine (the request came from another address)'
  // Duplicated headers are refused outright: which copy a proxy or a parser honours is not ours to guess.
  const host = single(req.headers.host)
  if (!isLoopbackHost(host)) return `the migrate page answers only to a loopback Host (localhost, 127.0.0.1 or [::1]), not ${JSON.stringify(host ?? '')}`
  const origin = single(req.headers.origin)
  if (req.headers.origin !== undefined && (origin === undefined || !isLoopbackOrigin(origin))) return `requests from other sites are refused (Origin ${JSON.stringify(String(req.headers.origin))})`
  if (!action) return undefined
  if (req.method !== 'POST') return 'actions are POST only'
  if (origin === undefined) return 'an action needs an Origin header (sent by the browser)'
  if (!isOwnOrigin(origin, host!)) return `an action must come from the migrate page itself, not from ${JSON.stringify(origin)}`
  if (!tokenMatches(single(req.headers['x-migrate-token']))) return 'an action needs the page\'s token (reload the page)'
  return undefined
}
