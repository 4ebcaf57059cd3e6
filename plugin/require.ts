/**
 * What `require('migrate-plugin/<bundler>')` returns in a CommonJS project. Node's require() of an
 * ES module returns its namespace (`{ default }`), unless the module exports a "module.exports"
 * binding; the entries export this under that name, so a CommonJS config can call what it required,
 * as it would a CommonJS package's plugin. `.default` is kept for code written against the
 * namespace (and for bundlers' interop helpers). ES imports are unaffected: they get `default`.
 */
export function forRequire<F extends (...args: never[]) => unknown>(plugin: F): F & { default: F } {
  const required = ((...args: Parameters<F>) => plugin(...args)) as F
  return Object.assign(required, { default: plugin })
}
