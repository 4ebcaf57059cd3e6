interface Data {
  database: string
  error?: string
  tables: { name: string, reader: string, columns: { name: string, type: string }[], rows: unknown[][] }[]
  history: { migrationId: string, status: string, finishedAt: string, durationMs: number, trigger: string, steps: { description: string, file?: string }[], error: string | null }[]
}

function el(tag: string, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElement {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v)
  node.append(...children)
  return node
}

function cell(value: unknown): string {
  return value === null || value === undefined ? 'NULL' : String(value)
}

async function render(): Promise<void> {
  const data = (await (await fetch('/api/data')).json()) as Data
  document.getElementById('db')!.textContent = data.database
  const tables = document.getElementById('tables')!
  tables.replaceChildren(...(data.error ? [el('p', { class: 'error' }, data.error)] : []), ...data.tables.map((t) => el('article', { 'data-table': t.name, 'data-reader': t.reader },
    el('h3', {}, t.name, el('small', {}, ` ${t.rows.length} row(s) · read with ${t.reader === 'prisma-client' ? 'the generated Prisma Client' : 'better-sqlite3'}`)),
    el('table', {},
      el('thead', {}, el('tr', {}, ...t.columns.map((c) => el('th', { 'data-column': c.name }, c.name, el('small', {}, ` ${c.type}`))))),
      el('tbody', {}, ...t.rows.map((r) => el('tr', {}, ...r.map((v) => el('td', {}, cell(v))))))),
  )))
  const history = document.getElementById('history')!
  history.replaceChildren(el('ol', {}, ...data.history.map((h) => el('li', { class: h.status },
    el('strong', {}, h.status), ` ${h.finishedAt} · ${h.durationMs} ms · ${h.trigger}`,
    el('ul', {}, ...h.steps.map((s) => el('li', {}, s.description, s.file ? el('small', {}, ` (${s.file})`) : ''))),
    ...(h.error ? [el('p', { class: 'error' }, h.error)] : []),
  ))))
}

void render()
