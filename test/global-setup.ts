import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Every temporary folder of a test run goes into one run folder: TMPDIR is pointed at it before the
 * workers start, so os.tmpdir() in the tests, and in the CLI processes and builds they spawn, all
 * land there. Whatever is still in it at the end was left behind by someone: the run fails and
 * names it. Then the folder goes, so a run never leaves anything in the real temporary directory.
 */
export default function setup(): () => void {
  const run = mkdtempSync(join(tmpdir(), 'mp-run-'))
  // Like /tmp itself: some tests run the CLI as `nobody`, which must reach the projects and make its own temporary files.
  chmodSync(run, 0o1777)
  // The CLI's TypeScript transpile cache (jiti's, in <tmp>/jiti) is no test's leftover: keep it where
  // it always is, so that runs stay as fast as before and it is not taken for one.
  const jiti = join(tmpdir(), 'jiti')
  mkdirSync(jiti, { recursive: true })
  symlinkSync(jiti, join(run, 'jiti'))
  const previous = process.env.TMPDIR
  process.env.TMPDIR = run
  process.env.MP_TEST_RUN_DIR = run
  return () => {
    if (previous === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = previous
    const left = leftBehind()
    rmSync(run, { recursive: true, force: true })
    if (left.length > 0) {
      // An error thrown here is only logged; the exit code is what CI goes by.
      process.exitCode = 1
      throw new Error(`tests left ${left.length} temporary file(s) behind: ${left.join(', ')}`)
    }
  }
}

/** What is in the run folder now, other than what setup put there. */
export function leftBehind(): string[] {
  const run = process.env.MP_TEST_RUN_DIR
  if (!run) return []
  try {
    return readdirSync(run).filter((name) => name !== 'jiti').sort()
  } catch {
    return []
  }
}
