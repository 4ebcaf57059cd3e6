import { createRequire } from 'node:module'
import type { TransformOptions, TransformResult } from 'jiti'

/**
 * How a model file becomes code jiti can run (types stripped, `import` turned into `require`).
 *
 * jiti's own transform is Babel: 1.5 MB of code to load and warm up, ~300 ms on a 2-core machine
 * before the first file is done, paid by every process that meets a file jiti has not cached yet —
 * the model just edited (every `apply` after a change), or all of them on a fresh clone or CI job.
 * Sucrase does the two things needed here in a fraction of that, and keeps every line where it was
 * (errors and annotations point at the source's own lines).
 *
 * Babel stays for what Sucrase cannot give a CommonJS wrapper or compiles wrongly (NEEDS_BABEL
 * below), JSX, and anything Sucrase refuses — Babel then gives the error with its location, as before. The test is on the text, so it is conservative: an `await`
 * anywhere in a file sends it to Babel, which is slower, never wrong.
 */
const require = createRequire(import.meta.url)

type Transform = (options: TransformOptions) => TransformResult

let sucrase: typeof import('sucrase') | undefined
let babel: Transform | undefined

/** jiti's default transform (what `createJiti` uses when given none), loaded only when a file needs it. */
function babelTransform(options: TransformOptions): TransformResult {
  babel ??= createRequire(require.resolve('jiti/package.json'))('./dist/babel.cjs') as Transform
  return babel(options)
}

/** Load Sucrase ahead of the first file (a worker started ahead of need does it while idle). */
export function loadTransform(): typeof import('sucrase') {
  sucrase ??= require('sucrase') as typeof import('sucrase')
  return sucrase
}

// What Sucrase cannot turn into working CommonJS, or turns into code that fails only when it runs:
// top-level await and import.meta (jiti's Babel plugins rewrite them), value namespaces and
// `declare module` blocks, `using` declarations, decorators.
const NEEDS_BABEL = /\bawait\b|\bimport\s*\.\s*meta\b|\bnamespace\b|\bmodule\s+[\w$.'"]+\s*\{|\busing\s+[\w$[{]|@[\w$(]/

export function transformModelCode(options: TransformOptions): TransformResult {
  const { source, filename } = options
  if (options.jsx || /\.[cm]?[jt]sx$/.test(filename ?? '') || NEEDS_BABEL.test(source)) return babelTransform(options)
  const transformer = loadTransform()
  // jiti asks for an inline source map when the error path transforms a file again to map a
  // column of the transformed code back to the source (see load-location.ts).
  const inlineMap = options.babel?.sourceMaps === 'inline'
  try {
    const { code, sourceMap } = transformer.transform(source, {
      transforms: options.ts ? ['typescript', 'imports'] : ['imports'],
      ...(filename ? { filePath: filename } : {}),
      ...(inlineMap ? { sourceMapOptions: { compiledFilename: filename ?? 'model.js' } } : {}),
    })
    if (!sourceMap) return { code }
    const map = Buffer.from(JSON.stringify({ ...sourceMap, sources: [filename ?? 'model.ts'] })).toString('base64')
    return { code: `${code}\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,${map}` }
  } catch {
    return babelTransform(options)
  }
}
