import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { REPO, cleanEnv } from './helpers.ts'

/**
 * The package as a user gets it: `npm pack` (whose prepack runs the build), then `npm install` of
 * the tarball into a fresh project outside the repository, so that nothing resolves through the
 * repository's own node_modules (its @types/node above all).
 */

export const npmEnv = (): NodeJS.ProcessEnv => ({
  ...cleanEnv(), npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', npm_config_loglevel: 'error',
})

/** Temporary folders of one test file, removed by `removeAll` (in afterAll). */
export function temporaryFolders(): { make: (prefix: string) => string, removeAll: () => void } {
  const made: string[] = []
  return {
    make(prefix) {
      const dir = mkdtempSync(join(tmpdir(), prefix))
      made.push(dir)
      return dir
    },
    removeAll() {
      for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * Packs a copy of the sources in `work`, not the checkout itself: prepack's build writes dist/,
 * and other test files (test/package.test.ts) pack the checkout at the same time.
 * Returns the tarball's path.
 */
export function pack(work: string): string {
  const stage = join(work, 'stage')
  mkdirSync(stage)
  for (const entry of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'plugin', 'bin']) {
    cpSync(join(REPO, entry), join(stage, entry), { recursive: true })
  }
  symlinkSync(join(REPO, 'node_modules'), join(stage, 'node_modules'))
  const out = join(work, 'tarball')
  mkdirSync(out)
  execFileSync('npm', ['pack', '--pack-destination', out], { cwd: stage, env: npmEnv(), stdio: 'pipe' })
  const tarball = readdirSync(out).find((f) => f.endsWith('.tgz'))
  if (!tarball) throw new Error(`npm pack left no tarball in ${out}`)
  return join(out, tarball)
}

/**
 * A project as `npm init -y` writes it (older npm: no "type", so CommonJS), with the tarball
 * installed. Install scripts are skipped: the tests that need better-sqlite3's native addon link
 * the repository's built copy (`linkFromRepo`) instead of compiling it again, which takes a minute.
 */
export function installInto(app: string, tarball: string, packageJson: Record<string, unknown> = {}): void {
  mkdirSync(app, { recursive: true })
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', main: 'index.js', license: 'ISC', ...packageJson }, null, 2))
  execFileSync('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-package-lock', tarball], { cwd: app, env: npmEnv(), stdio: 'pipe', timeout: 300_000 })
}

/** Puts the repository's copy of each package into the project's node_modules, as a symlink. */
export function linkFromRepo(app: string, ...packages: string[]): void {
  for (const name of packages) {
    const target = join(app, 'node_modules', name)
    rmSync(target, { recursive: true, force: true })
    mkdirSync(dirname(target), { recursive: true })
    symlinkSync(join(REPO, 'node_modules', name), target)
  }
}

/** Folders from `dir` up to the root that hold a node_modules/@types: what TypeScript would find. */
export function typesFoldersAbove(dir: string): string[] {
  const found: string[] = []
  for (let at = dir; ; at = dirname(at)) {
    if (existsSync(join(at, 'node_modules', '@types'))) found.push(join(at, 'node_modules', '@types'))
    if (dirname(at) === at) return found
  }
}
