import { MigrateError } from '../core/errors.ts'

/** `devPage` in the plugin options: on (the default) in a dev server, `false` off, or where to serve it. */
export type DevPageOption = boolean | { path?: string }

export const DEFAULT_PATH = '/__migrate'

/** The path the page is served under (no trailing slash), or undefined when it is switched off. */
export function devPagePath(option: unknown): string | undefined {
  if (option === false) return undefined
  if (option === undefined || option === true) return DEFAULT_PATH
  if (typeof option !== 'object' || option === null || Array.isArray(option)) {
    throw new MigrateError('CONFIG', `the plugin option devPage must be true, false or { path: '/…' }, not ${JSON.stringify(option)}`, {
      hint: 'write devPage: false to switch the page off, or devPage: { path: \'/__migrate\' } to move it',
    })
  }
  const { path, ...rest } = option as { path?: unknown }
  const unknown = Object.keys(rest)
  if (unknown.length > 0) {
    throw new MigrateError('CONFIG', `the plugin option devPage has no setting ${unknown.map((k) => JSON.stringify(k)).join(', ')}`, { hint: 'devPage takes only { path: \'/…\' }' })
  }
  if (path === undefined) return DEFAULT_PATH
  // A path the page can own outright: an app route or Vite's own (/@vite, /node_modules) is not shadowed by accident.
  if (typeof path !== 'string' || !/^\/[A-Za-z0-9_.~-]+(\/[A-Za-z0-9_.~-]+)*\/?$/.test(path) || path.startsWith('/@')) {
    throw new MigrateError('CONFIG', `the plugin option devPage.path must be a URL path such as '/__migrate', not ${JSON.stringify(path)}`, {
      hint: 'use letters, digits, _ . ~ - and slashes, starting with a slash (e.g. devPage: { path: \'/__migrate\' })',
    })
  }
  return path.replace(/\/$/, '')
}
