import { readFileSync } from 'node:fs'
import { SourceMap } from 'node:module'
import { isAbsolute, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Where a model load really failed. The loader imports one model file, but the fault is often in a
 * file that one imports (model/orders.ts imports a broken model/users.ts): reporting the importer
 * sends the user to a file with nothing wrong in it. Each kind of failure says where it happened
 * in its own way, so each is read here:
 * - a syntax error: jiti's "ParseError: … \n /abs/file.ts:line:column" (babel's 0-based column);
 * - a missing import: Node's MODULE_NOT_FOUND, whose require stack starts with the importing file;
 * - a runtime error: the first stack frame in the project's own files (packages and this tool's
 *   sources are skipped: the user's line that called them is the place to fix). Its column is one
 *   of jiti's transpiled code, mapped back through the transform's source map.
 */
export interface LoadFault {
  /** Absolute path of the file at fault. */
  path: string
  line?: number
  /** 1-based. */
  column?: number
  /** The error's own words, without the location jiti appends. */
  message: string
  kind: 'syntax' | 'missing-import' | 'runtime'
  /** For a missing import: the specifier as written. */
  specifier?: string
  /**
   * The thrown value was not an Error (`throw null`, `throw 'x'`, `throw { code }`): it carries no
   * stack, so `path` is only the file being loaded, and the throw may be in a file it imports.
   */
  notAnError?: boolean
}

/** A transform of a file with the same settings the loader evaluated it with: for mapping columns. */
export type Retransform = (path: string, source: string) => string | undefined

const PARSE_ERROR = /^(\w*Error): ([\s\S]*?)\s*\n\s*(\S[^\n]*?):(\d+):(\d+)\s*$/

export function locateLoadFault(error: unknown, loadedPath: string, isOwnFile: (path: string) => boolean, retransform?: Retransform): LoadFault {
  if (!isErrorLike(error)) return { path: loadedPath, message: `threw a non-Error value: ${describeThrown(error)}`, kind: 'runtime', notAnError: true }
  const message = errorText(error)
  const parse = PARSE_ERROR.exec(message)
  if (parse && isAbsolute(parse[3]!)) {
    const path = parse[3]!
    const line = Number(parse[4])
    const text = parse[2]!.trim().replace(/\.$/, '')
    return { path, line, column: syntaxColumn(path, line, Number(parse[5]), text), message: `${parse[1]}: ${text}`, kind: 'syntax' }
  }
  const code = read(error, 'code')
  if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') {
    const specifier = /Cannot find (?:module|package) '([^']+)'/.exec(message)?.[1]
    const requireStack = read(error, 'requireStack')
    const importer = Array.isArray(requireStack) && typeof requireStack[0] === 'string' ? requireStack[0] : loadedPath
    const at = specifier ? findSpecifier(importer, specifier) : undefined
    return {
      path: importer, ...at, kind: 'missing-import', ...(specifier ? { specifier } : {}),
      message: specifier ? `cannot find module '${specifier}'` : message.split('\n')[0]!,
    }
  }
  const stackValue = read(error, 'stack')
  const stack = typeof stackValue === 'string' ? stackValue : ''
  for (const frame of frames(stack)) {
    if (!isOwnFile(frame.path)) continue
    const mapped = retransform ? mapColumn(frame, retransform) : undefined
    return { path: frame.path, line: mapped?.line ?? frame.line, ...(mapped ? { column: mapped.column } : {}), message: message.split('\n')[0]!, kind: 'runtime' }
  }
  return { path: loadedPath, message: message.split('\n')[0]!, kind: 'runtime' }
}

/**
 * Model files run arbitrary code, and what they throw can be anything: `null`, a string, an object
 * without a prototype (which even `String()` cannot print), an Error whose message is not a string,
 * or an object whose getters throw. Everything read from a thrown value goes through these, so a
 * load failure is always reported as one, never as a crash of the tool.
 */
export function read(value: unknown, key: string): unknown {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined
  try {
    return (value as Record<string, unknown>)[key]
  } catch {
    return undefined
  }
}

/** An Error, or an Error of another realm or copy (same shape): it has a string stack to read. */
function isErrorLike(value: unknown): boolean {
  try {
    if (value instanceof Error) return true
  } catch {
    return false
  }
  return typeof read(value, 'stack') === 'string' && typeof read(value, 'name') === 'string'
}

/** An Error's message; a missing or odd one is said, so that no message ends in an empty ": ". */
function errorText(error: unknown): string {
  const raw = read(error, 'message')
  const name = read(error, 'name')
  const kind = typeof name === 'string' && name !== '' ? name : 'Error'
  if (typeof raw === 'string') return raw.trim() === '' ? `${kind} with no message` : raw
  if (raw === undefined || raw === null) return `${kind} with no message`
  return `${kind} with a message that is not text: ${describeThrown(raw)}`
}

const MAX_DESCRIPTION = 200

/** A short, printable description of any value; never throws. */
export function describeThrown(value: unknown): string {
  let text: string
  try {
    if (value === null) text = 'null'
    else if (value === undefined) text = 'undefined'
    else if (typeof value === 'string') text = JSON.stringify(value)
    else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') text = `${String(value)}${typeof value === 'bigint' ? 'n' : ''}`
    else if (typeof value === 'symbol') text = value.toString()
    else if (typeof value === 'function') text = `a function${typeof read(value, 'name') === 'string' && read(value, 'name') !== '' ? ` ${String(read(value, 'name'))}` : ''}`
    else text = describeObject(value)
  } catch {
    text = 'a value that cannot be printed'
  }
  return text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION - 1)}…` : text
}

function describeObject(value: object): string {
  let json: string | undefined
  try {
    json = JSON.stringify(value)
  } catch {
    json = undefined
  }
  let proto: object | null = null
  try {
    proto = Object.getPrototypeOf(value) as object | null
  } catch {
    proto = null
  }
  const ctor = proto === null ? undefined : read(proto, 'constructor')
  const ctorName = typeof ctor === 'function' ? read(ctor, 'name') : undefined
  const kind = proto === null ? 'an object without a prototype' : Array.isArray(value) ? 'an array' : typeof ctorName === 'string' && ctorName !== '' && ctorName !== 'Object' ? `a ${ctorName} object` : 'an object'
  return json === undefined || json === '{}' ? kind : `${kind} ${json}`
}

interface Frame { path: string, line: number, column: number }

/** Stack frames as `at fn (/abs/file.ts:3:5)`, `at /abs/file.ts:3:5` or with a file: URL. */
function frames(stack: string): Frame[] {
  const found: Frame[] = []
  for (const m of stack.matchAll(/^\s*at (?:.*? \()?((?:file:\/\/)?\/[^():]*?|[A-Za-z]:\\[^():]*?):(\d+):(\d+)\)?\s*$/gm)) {
    const raw = m[1]!
    found.push({ path: raw.startsWith('file://') ? fileURLToPath(raw) : raw, line: Number(m[2]), column: Number(m[3]) })
  }
  return found
}

/**
 * Babel reports most syntax errors at the offending token, 0-based; for a few (TypeScript's
 * "Unexpected token ','") the position is one past it. When the message names the token and it
 * stands just before the reported place, point at it.
 */
function syntaxColumn(path: string, line: number, column0: number, text: string): number {
  const token = /Unexpected token '(.+)'$/.exec(text)?.[1]
  const source = lineOf(path, line)
  if (token && source !== undefined && !source.startsWith(token, column0) && column0 >= token.length && source.startsWith(token, column0 - token.length)) {
    return column0 - token.length + 1
  }
  return column0 + 1
}

function lineOf(path: string, line: number): string | undefined {
  try {
    return readFileSync(path, 'utf8').split(/\r?\n/)[line - 1]
  } catch {
    return undefined
  }
}

/** Where `from '<specifier>'` (or require/import('<specifier>')) is written in the importing file. */
function findSpecifier(path: string, specifier: string): { line: number, column: number } | undefined {
  let source: string
  try {
    source = readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
  const lines = source.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    for (const quote of ["'", '"', '`']) {
      const at = lines[i]!.indexOf(`${quote}${specifier}${quote}`)
      if (at >= 0) return { line: i + 1, column: at + 1 }
    }
  }
  return undefined
}

/**
 * jiti runs a file's code inside a function it writes on the same first line, so a column on line 1
 * counts that wrapper too (jiti 2.x's text below; `test/error-location.test.ts` notices a change).
 */
const JITI_WRAPPERS = ['async ', ''].map((kind) => `(${kind}function (exports, require, module, __filename, __dirname, jitiImport, jitiESMResolve) { `)

function unwrappedColumn(frame: Frame, code: string): number {
  if (frame.line !== 1) return frame.column
  const firstLine = code.split('\n')[0]!.length
  for (const wrapper of JITI_WRAPPERS) {
    const column = frame.column - wrapper.length
    if (frame.column - 1 > firstLine && column >= 1 && column - 1 <= firstLine) return column
  }
  return frame.column
}

/** The original line and column of a frame in jiti's transpiled code, when the transform maps it. */
function mapColumn(frame: Frame, retransform: Retransform): { line: number, column: number } | undefined {
  try {
    const code = retransform(frame.path, readFileSync(frame.path, 'utf8'))
    const data = code && /\/\/# sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,([A-Za-z0-9+/=]+)\s*$/.exec(code)?.[1]
    if (!data) return undefined
    const entry = new SourceMap(JSON.parse(Buffer.from(data, 'base64').toString('utf8'))).findEntry(frame.line - 1, unwrappedColumn(frame, code) - 1) as { originalLine?: number, originalColumn?: number }
    if (entry.originalLine === undefined || entry.originalColumn === undefined) return undefined
    return { line: entry.originalLine + 1, column: entry.originalColumn + 1 }
  } catch {
    return undefined
  }
}

/** A file the user wrote (in the project or not: a model folder may live elsewhere): not a package, not this tool. */
export function userFileTest(ownSources: string): (path: string) => boolean {
  return (path) => !path.startsWith(ownSources) && !path.includes(`${sep}node_modules${sep}`)
}
