import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Project, REPO, USERS_MODEL, cleanEnv } from './helpers.ts'

/**
 * Two copies of the package in one process (a dev server that bundles its config loads the plugin
 * again) share the engine's wasm bindings: the engine must be instantiated once between them, or the
 * second copy's run crashes inside the engine.
 */
describe('two copies of the package in one process', () => {
  const projects: Project[] = []
  afterEach(() => {
    for (const p of projects.splice(0)) p.remove()
  })

  it('share one engine instance, and both run the pipeline', () => {
    const first = new Project({ 'model/users.ts': USERS_MODEL })
    const second = new Project({ 'model/users.ts': USERS_MODEL })
    projects.push(first, second)
    first.write('two-copies.mjs', `import { createJiti } from ${JSON.stringify(join(REPO, 'node_modules/jiti/lib/jiti.mjs'))}
const copy = () => createJiti(import.meta.url, { moduleCache: false, fsCache: false })
const [a, b] = [copy(), copy()]
const wasm = ${JSON.stringify(join(REPO, 'plugin/engine/wasm.ts'))}
const pipeline = ${JSON.stringify(join(REPO, 'plugin/pipeline/migrate.ts'))}
const [wasmA, wasmB] = [await a.import(wasm), await b.import(wasm)]
const copies = wasmA !== wasmB
const same = (await wasmA.loadEngineModule()) === (await wasmB.loadEngineModule())
const ranA = await (await a.import(pipeline)).migrate({ root: ${JSON.stringify(first.root)}, env: {} })
const ranB = await (await b.import(pipeline)).migrate({ root: ${JSON.stringify(second.root)}, env: {} })
console.log(JSON.stringify({ copies, same, outcomes: [ranA.outcome, ranB.outcome] }))
`)
    const run = spawnSync(process.execPath, ['two-copies.mjs'], { cwd: first.root, encoding: 'utf8', env: cleanEnv() })
    expect(run.status, run.stderr).toBe(0)
    expect(JSON.parse(run.stdout.trim().split('\n').pop()!)).toEqual({ copies: true, same: true, outcomes: ['applied', 'applied'] })
    expect(first.columns('users')).toContain('email')
    expect(second.columns('users')).toContain('email')
  })
})
