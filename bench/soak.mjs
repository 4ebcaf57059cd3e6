// The soak benchmark, run by bench/run.ts in a child process of its own:
//   node bench/soak.mjs <root> <saves>
// A real Vite dev server with the plugin in `dev: 'apply'` mode, on a project whose database is in
// sync. Every save edits one model file as a user would; the next save waits until the database
// shows it. Odd saves (1, 3, …) add a column c<k> to t0, even saves remove it again, so the schema
// the engine diffs is the same size at save 300 as at save 1: RSS that grows is memory the dev server
// keeps, not a schema that grew. Each column has a name of its own, so a column left over from an
// earlier save can never be mistaken for this one. Prints one JSON line: the RSS after every save
// (once its change was in the database) and the save → database times of both directions.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import Database from 'better-sqlite3'
import { startDevServer } from './dev-server.mjs'

const [root, savesArg] = process.argv.slice(2)
const saves = Number(savesArg)
if (!root || !Number.isInteger(saves) || saves < 1) throw new Error('usage: node bench/soak.mjs <root> <saves ≥ 1>')

// A save the plugin refused (or never saw) must end the run, not hang it: far above any real save.
const SAVE_TIMEOUT_MS = 60_000

const { server, file, original } = await startDevServer(root)
const anchor = '  name: text().notNull(),'
if (!original.includes(anchor)) throw new Error(`${file} has no line "${anchor.trim()}" to add a column after`)

/** t0's columns, read as the app would: a read-only connection of its own, opened per look. */
function columns() {
  const db = new Database(join(root, 'app.db'), { readonly: true, fileMustExist: true })
  try {
    return new Set(db.prepare(`SELECT name FROM pragma_table_info('t0')`).all().map((row) => row.name))
  } finally {
    db.close()
  }
}

async function waitFor(save, what, done) {
  const started = performance.now()
  for (;;) {
    const now = columns()
    // A redefinition that lost a column other than the one removed would be a broken save, not a fast one.
    if (!now.has('id') || !now.has('name')) throw new Error(`save ${save}: t0 lost its own columns (${[...now].join(', ')})`)
    if (done(now)) return
    if (performance.now() - started > SAVE_TIMEOUT_MS) throw new Error(`save ${save}: ${what} was not in the database after ${SAVE_TIMEOUT_MS / 1000} s (columns of t0: ${[...now].join(', ')}); the dev server did not apply the change`)
    await sleep(2)
  }
}

const rssMB = []
const addMs = []
const removeMs = []
try {
  // Let the server's own first run (the database is in sync: the fast path) finish before the first save.
  await sleep(300)
  for (let save = 1; save <= saves; save++) {
    const column = `c${Math.floor((save - 1) / 2)}`
    const adding = save % 2 === 1
    if (adding && columns().has(column)) throw new Error(`save ${save}: t0 already has ${column} before it was added`)
    const t = performance.now()
    writeFileSync(file, adding ? original.replace(anchor, `${anchor}\n  ${column}: text(),`) : original)
    await waitFor(save, adding ? `the new column t0.${column}` : `the removal of t0.${column}`, (now) => now.has(column) === adding)
    ;(adding ? addMs : removeMs).push(performance.now() - t)
    rssMB.push(process.memoryUsage().rss / 2 ** 20)
    // Vite's watcher debounces; a save landing in the same instant as the last one could be folded into it.
    await sleep(100)
  }
} finally {
  writeFileSync(file, original)
  await server.close()
}
console.log(JSON.stringify({ rssMB, addMs, removeMs }))
