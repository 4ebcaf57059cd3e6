// In-process measurements, run in a child process so that its peak RSS can be read:
//   hook <root> <reps>     — the build-start hook on an in-sync project (what every build pays)
//   devloop <root> <reps>  — a running Vite dev server: save a model file → column exists in the DB
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import Database from 'better-sqlite3'

const [mode, root, repsArg] = process.argv.slice(2)
const reps = Number(repsArg)

if (mode === 'hook') {
  const { Runner } = await import('../dist/bundlers/runner.js')
  const runner = new Runner({})
  const context = { root, watch: false, trigger: 'bench' }
  await runner.run(context) // the plugin's first build start in this process
  const times = []
  for (let i = 0; i < reps; i++) {
    const t = performance.now()
    const report = await runner.run(context)
    times.push(performance.now() - t)
    if (!report.result?.fastPath) throw new Error('expected the fast path')
  }
  const cold = performance.now()
  await new Runner({}).run(context) // a fresh plugin instance: models are loaded once
  console.log(JSON.stringify({ times, coldMs: performance.now() - cold }))
} else if (mode === 'devloop') {
  const { startDevServer } = await import('./dev-server.mjs')
  const { server, file, original } = await startDevServer(root)
  const hasColumn = (name) => {
    const db = new Database(join(root, 'app.db'), { readonly: true })
    try {
      return db.prepare(`SELECT 1 FROM pragma_table_info('t0') WHERE name = ?`).get(name) !== undefined
    } finally {
      db.close()
    }
  }
  const times = []
  for (let i = 0; i < reps; i++) {
    const column = `devcol${i}`
    await sleep(300)
    const t = performance.now()
    const added = Array.from({ length: i + 1 }, (_, k) => `  devcol${k}: text(),`).join('\n')
    writeFileSync(file, original.replace('  name: text().notNull(),', `  name: text().notNull(),\n${added}`))
    while (!hasColumn(column)) await sleep(2)
    times.push(performance.now() - t)
  }
  writeFileSync(file, original)
  await server.close()
  console.log(JSON.stringify({ times }))
}
