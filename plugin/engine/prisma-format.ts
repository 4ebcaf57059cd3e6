import { MigrateError } from '../core/errors.ts'
import type { ModelOwner } from '../schema/ownership.ts'
import { clearPanicMessage, schemaWasmModule, takePanicMessage } from './wasm.ts'

/** Prisma's own formatter and validator (wasm) over a generated schema, errors mapped back to model files. */

/** Format with Prisma's formatter, then validate; report errors against the model file that owns the line. */
export function formatAndValidate(raw: string, owners: ModelOwner[]): string {
  const wasm = schemaWasmModule()
  clearPanicMessage()
  let text = raw
  try {
    const uri = 'file:///schema.prisma'
    const formatted = JSON.parse(wasm.format(JSON.stringify([[uri, raw]]), JSON.stringify({ textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } }))) as [string, string][]
    text = formatted[0]?.[1] ?? raw
  } catch (error) {
    if (error instanceof WebAssembly.RuntimeError) throw formatterCrash(error)
    // The formatter gives up on some invalid schemas; validation below says why.
  }
  try {
    wasm.validate(JSON.stringify({ prismaSchema: text, noColor: true }))
  } catch (error) {
    if (error instanceof WebAssembly.RuntimeError) throw formatterCrash(error)
    throw validationError(error, text, owners)
  }
  return text
}

/** A panic inside Prisma's formatter: a bug of Prisma's (or of the schema we gave it), not of the models. */
export function formatterCrash(error: WebAssembly.RuntimeError): MigrateError {
  const panic = takePanicMessage()
  return new MigrateError('ENGINE', `Prisma's schema formatter crashed${panic ? `: ${panic}` : ` (${error.message})`}`, {
    hint: 'this is a bug in Prisma\'s schema tooling; run again with the same models to check it repeats, and report it with the generated schema',
    cause: error,
  })
}

function validationError(error: unknown, text: string, owners: ModelOwner[]): MigrateError {
  let message = error instanceof Error ? error.message : String(error)
  try {
    message = (JSON.parse(message) as { message: string }).message
  } catch { /* not JSON */ }
  const lines = text.split('\n')
  const lineNo = Number(/schema\.prisma:(\d+)/.exec(message)?.[1] ?? 0)
  // Walk up from the failing line to the block header, and from the block to its owner.
  let owner: ModelOwner | undefined
  let fragmentFile: string | undefined
  for (let i = lineNo - 1; i >= 0 && i < lines.length; i--) {
    const header = /^(model|enum|view|type)\s+(\w+)/.exec(lines[i]!)
    if (header && !owner) {
      const name = header[2]!
      const mapped = findMap(lines, i)
      owner = owners.find((o) => o.model === name || o.table === (mapped ?? name))
      if (owner) break
    }
    const from = /^\/\/ from (.+)$/.exec(lines[i]!)
    if (from) {
      fragmentFile = from[1]
      break
    }
  }
  const file = owner?.file ?? fragmentFile ?? 'the model directory'
  const first = message.replace(/^error: /, '').split('\n')[0]
  const count = /Validation Error Count: (\d+)/.exec(message)?.[1]
  return new MigrateError('SCHEMA_INVALID', `${owner?.line ? `${file}:${owner.line}` : file}: the generated Prisma schema is invalid: ${first}${count && count !== '1' ? ` (and ${Number(count) - 1} more)` : ''}`, {
    location: owner?.line ? { file, line: owner.line } : { file },
    hint: `Prisma says:\n${message}`,
  })
}

function findMap(lines: string[], start: number): string | undefined {
  for (let i = start + 1; i < lines.length && !/^\}/.test(lines[i]!); i++) {
    const m = /@@map\("([^"]+)"\)/.exec(lines[i]!)
    if (m) return m[1]
  }
  return undefined
}
