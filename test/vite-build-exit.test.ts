import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Project, REPO, USERS_MODEL, cleanEnv } from './helpers.ts'

describe('vite build as a process', () => {
  it('applies, then exits as soon as the build is done (the engine\'s 60 s timer does not hold it)', () => {
    const p = new Project({
      'model/users.ts': USERS_MODEL,
      'index.html': '<!doctype html><script type="module" src="/main.js"></script>',
      'main.js': 'console.log(1)\n',
      'vite.config.mjs': `import migrate from ${JSON.stringify(join(REPO, 'plugin/vite.ts'))}\nexport default { plugins: [migrate({ build: 'apply' })], logLevel: 'warn' }\n`,
    })
    const started = Date.now()
    const run = spawnSync(process.execPath, [join(REPO, 'node_modules/vite/bin/vite.js'), 'build'], { cwd: p.root, encoding: 'utf8', env: cleanEnv(), timeout: 45_000 })
    const seconds = (Date.now() - started) / 1000
    expect(run.signal, `killed after ${seconds} s: the process hung`).toBeNull()
    expect(run.status, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/migrate-plugin: created table users \(model\/users\.ts\)/)
    expect(p.tables()).toContain('users')
    // Well below the engine's 60 s timer: the timer would have kept it alive otherwise.
    expect(seconds).toBeLessThan(45)
  })
})
