import { afterEach, describe, expect, it } from 'vitest'
import { LOADS_PER_WORKER, loadModels, loaderStats } from '../plugin/model/loader.ts'
import { meta } from '../plugin/schema/meta.ts'
import { Project, USERS_MODEL } from './helpers.ts'

/**
 * A dev server loads the models on every save. The loader's worker is replaced after a number of
 * loads (its heap keeps part of what every load compiled), and the loads go on as before.
 */
describe('the model loader over many loads', () => {
  const projects: Project[] = []
  afterEach(() => {
    for (const p of projects.splice(0)) p.remove()
  })

  it(`replaces its worker after ${LOADS_PER_WORKER} loads, and every load sees the file as it is then`, async () => {
    const p = new Project({ 'model/users.ts': USERS_MODEL })
    projects.push(p)
    const modelDir = `${p.root}/model`
    const startedBefore = loaderStats.started
    const loads = LOADS_PER_WORKER * 2 + 3
    for (let i = 0; i < loads; i++) {
      p.write('model/users.ts', USERS_MODEL.replace('name: text(),', `name: text(),\n  extra${i}: text(),`))
      const models = await loadModels(modelDir, p.root, 30_000)
      const columns = Object.keys(meta(models.tables[0]!.table).columns)
      expect(columns, `load ${i + 1}`).toContain(`extra${i}`)
      expect(columns, `load ${i + 1}`).not.toContain(`extra${i - 1}`)
    }
    // The first worker, a replacement after each LOADS_PER_WORKER loads (started ahead, while idle).
    expect(loaderStats.started - startedBefore).toBe(Math.floor(loads / LOADS_PER_WORKER) + 1)
  })
})
