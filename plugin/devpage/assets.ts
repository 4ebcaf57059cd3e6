/**
 * The page itself: HTML, CSS and one script, all served by the page's own middleware (not through
 * Vite's module pipeline, so the app's plugins never see them, and the browser's copy of Vite's
 * client is not loaded: its full-reload after every run would throw away what the person is reading).
 *
 * The diagram is laid out in the browser with elkjs (its bundled, worker-free build, served from
 * the package's own dependency): the layout needs the boxes' sizes, which only the page knows for
 * sure, and the dev server stays free for the app while 100 tables are placed.
 *
 * Everything from the server is put in with textContent or SVG attributes, never as HTML: table,
 * column and model names, error messages and sample values are the user's text.
 */

export interface PageSettings {
  base: string
  token: string
  /** How to reach Vite's HMR socket, or null when HMR is off (the page then polls). */
  hmr: { protocol?: string, host?: string, port?: number, path: string, token: string } | null
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

export function pageHtml(settings: PageSettings): string {
  // In a data attribute (escaped), not an inline script: the page's CSP allows scripts from files only.
  const json = escapeHtml(JSON.stringify(settings))
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="migrate-settings" content="${json}">
<title>migrate-plugin</title>
<link rel="stylesheet" href="${escapeHtml(settings.base)}/page.css">
<script src="${escapeHtml(settings.base)}/elk.js"></script>
<script src="${escapeHtml(settings.base)}/page.js" defer></script>
</head>
<body>
<header>
  <h1>migrate-plugin</h1>
  <span id="database"></span>
  <span id="run-status" class="status"></span>
  <span id="live" class="live" title="updates over the dev server's HMR connection">○ connecting</span>
</header>
<div id="run-error" hidden></div>
<main>
  <section id="schema">
    <div class="toolbar"><h2>Schema</h2><button id="zoom-in" type="button" title="zoom in">+</button><button id="zoom-out" type="button" title="zoom out">−</button><button id="zoom-fit" type="button">fit</button><span id="diagram-note"></span></div>
    <div id="diagram-box"><svg id="diagram" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="schema diagram"></svg></div>
    <aside id="details" hidden></aside>
  </section>
  <section id="pending-section">
    <h2>Pending change</h2>
    <div id="pending"><p class="quiet">none: the database matches the models</p></div>
  </section>
  <section id="history-section">
    <h2>History</h2>
    <ol id="history"></ol>
  </section>
  <section id="backups-section">
    <h2>Backups</h2>
    <ul id="backups"></ul>
    <div id="restore-result" hidden></div>
  </section>
</main>
</body>
</html>
`
}

export const PAGE_CSS = `
:root { color-scheme: light dark; --fg: #1d2330; --muted: #6b7280; --bg: #f6f7f9; --card: #fff; --line: #d5d9e0; --accent: #3b5bdb; --ok: #2b8a3e; --bad: #c92a2a; --warn: #b35c00; }
@media (prefers-color-scheme: dark) { :root { --fg: #e4e7ec; --muted: #9aa3b2; --bg: #14171c; --card: #1d2129; --line: #353b47; --accent: #7b97ff; --ok: #69db7c; --bad: #ff8787; --warn: #ffa94d; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; gap: 1rem; align-items: baseline; padding: .7rem 1.2rem; border-bottom: 1px solid var(--line); background: var(--card); }
header h1 { font-size: 1.1rem; margin: 0; }
#database { font-family: ui-monospace, monospace; color: var(--muted); }
.status.ok { color: var(--ok); } .status.failed { color: var(--bad); }
.live { margin-left: auto; color: var(--muted); font-size: .85rem; } .live.on { color: var(--ok); }
#run-error { margin: .8rem 1.2rem 0; padding: .7rem 1rem; border: 1px solid var(--bad); border-radius: 6px; background: var(--card); white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: .85rem; }
main { display: grid; grid-template-columns: minmax(0, 2fr) minmax(20rem, 1fr); gap: 1rem; padding: 1rem 1.2rem; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .7rem 1rem; min-width: 0; }
#schema { grid-column: 1; grid-row: 1 / span 3; position: relative; }
h2 { font-size: 1rem; margin: 0 0 .5rem; }
.toolbar { display: flex; gap: .4rem; align-items: center; } .toolbar h2 { margin: 0 .6rem 0 0; }
#diagram-note { color: var(--muted); font-size: .85rem; }
button { font: inherit; padding: .15rem .6rem; border: 1px solid var(--line); border-radius: 5px; background: var(--bg); color: var(--fg); cursor: pointer; }
button.danger { border-color: var(--bad); color: var(--bad); }
button:disabled { opacity: .5; cursor: default; }
#diagram-box { height: 70vh; margin-top: .5rem; border: 1px solid var(--line); border-radius: 6px; overflow: hidden; background: var(--bg); }
#diagram { width: 100%; height: 100%; cursor: grab; user-select: none; }
#diagram.dragging { cursor: grabbing; }
.table-box rect.body { fill: var(--card); stroke: var(--line); }
.table-box rect.head { fill: var(--accent); }
.table-box.selected rect.body { stroke: var(--accent); stroke-width: 2; }
.table-box text { font: 12px ui-monospace, monospace; fill: var(--fg); }
.table-box text.name { fill: #fff; font-weight: bold; }
.table-box text.type { fill: var(--muted); }
.table-box text.key { fill: var(--warn); font-weight: bold; }
.table-box { cursor: pointer; }
.relation path { fill: none; stroke: var(--muted); stroke-width: 1.3; }
.relation text { font: 11px ui-monospace, monospace; fill: var(--muted); }
#details { position: absolute; top: 3.2rem; right: 1.6rem; width: 18rem; max-height: 60vh; overflow: auto; background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem; box-shadow: 0 4px 14px rgba(0,0,0,.15); }
#details h3 { margin: 0 0 .3rem; font-size: 1rem; }
#details table { border-collapse: collapse; width: 100%; font-size: .85rem; } #details td { padding: .1rem .3rem; border-top: 1px solid var(--line); }
.quiet { color: var(--muted); }
pre { white-space: pre-wrap; word-break: break-word; font-size: .8rem; background: var(--bg); padding: .5rem; border-radius: 5px; max-height: 16rem; overflow: auto; }
ul, ol { padding-left: 1.2rem; margin: .3rem 0; }
.warning { color: var(--warn); } .loss { color: var(--bad); }
#history li { margin-bottom: .5rem; } #history li .meta { color: var(--muted); font-size: .8rem; } #history details summary { color: var(--muted); font-size: .8rem; cursor: pointer; }
#history li .badge { display: inline-block; min-width: 5.5rem; font-size: .8rem; font-weight: 600; }
#history li.success .badge { color: var(--ok); } #history li.failed .badge, #history li.rolled_back .badge, #history li.interrupted .badge { color: var(--bad); } #history li.restored .badge { color: var(--accent); } #history li.noop .badge { color: var(--muted); }
#backups li { margin-bottom: .3rem; } #backups .meta { color: var(--muted); font-size: .8rem; }
.confirm { margin-top: .6rem; padding: .6rem; border: 1px solid var(--bad); border-radius: 6px; }
a.editor { color: var(--accent); cursor: pointer; text-decoration: underline; }
@media (max-width: 900px) { main { grid-template-columns: 1fr; } #schema { grid-row: auto; } }
`

/* The browser's script. Plain ES2020 in a string (no build step); it is checked by the end-to-end test. */
export const PAGE_SCRIPT = String.raw`'use strict'
;(function () {
  var settings = JSON.parse(document.querySelector('meta[name="migrate-settings"]').getAttribute('content'))
  var base = settings.base
  var SVG = 'http://www.w3.org/2000/svg'
  var CHAR = 7.3, ROW = 18, HEAD = 24, PAD = 10
  var state = null
  var layoutKey = ''
  var selected = null
  var view = null
  // The tables last drawn: a diagram that gains or loses a table is fitted again (a new table could
  // be out of view); one whose tables only changed inside keeps the person's pan and zoom.
  var drawnTables = ''
  var loading = null

  function $(id) { return document.getElementById(id) }
  function el(tag, attrs, text) {
    var node = document.createElement(tag)
    if (attrs) for (var k in attrs) node.setAttribute(k, attrs[k])
    if (text !== undefined) node.textContent = text
    return node
  }
  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag)
    if (attrs) for (var k in attrs) node.setAttribute(k, String(attrs[k]))
    if (text !== undefined) node.textContent = text
    return node
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild) }
  function editorLink(file, path, line) {
    var a = el('a', { 'class': 'editor', title: 'open in your editor' }, file + (line ? ':' + line : ''))
    a.addEventListener('click', function (event) {
      event.preventDefault()
      fetch('/__open-in-editor?file=' + encodeURIComponent(path + (line ? ':' + line : '')))
    })
    return a
  }
  function ago(seconds) {
    if (seconds < 60) return seconds + ' s ago'
    if (seconds < 3600) return Math.round(seconds / 60) + ' min ago'
    if (seconds < 86400) return Math.round(seconds / 3600) + ' h ago'
    return Math.round(seconds / 86400) + ' days ago'
  }
  function size(bytes) {
    if (bytes < 1024) return bytes + ' B'
    if (bytes < 1048576) return (bytes / 1024).toFixed(1) + ' KB'
    return (bytes / 1048576).toFixed(1) + ' MB'
  }
  function post(path, body) {
    return fetch(base + path, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Migrate-Token': settings.token }, body: JSON.stringify(body) })
      .then(function (res) { return res.json().catch(function () { return { ok: false, error: { message: 'HTTP ' + res.status } } }) })
  }

  function load() {
    if (loading) { loading.again = true; return loading.promise }
    var entry = { again: false, promise: null }
    loading = entry
    entry.promise = fetch(base + '/api/state').then(function (res) { return res.json() }).then(function (next) {
      state = next
      render()
    }).catch(function (error) {
      $('run-status').textContent = 'the dev server did not answer (' + error.message + ')'
    }).then(function () {
      loading = null
      if (entry.again) return load()
      // A refused change whose loss is still being worked out: look again shortly.
      if (state && state.pending && state.pending.kind === 'data-loss' && !state.pending.fingerprint && !state.pending.blocked) setTimeout(load, 700)
    })
    return entry.promise
  }

  function render() {
    $('database').textContent = state.database
    var run = state.lastRun
    var status = $('run-status')
    status.className = 'status ' + (run ? (run.ok ? 'ok' : 'failed') : '')
    status.textContent = run ? (run.ok ? '✔ ' + (run.summary ? run.summary.replace(/^migrate-plugin: /, '') : 'in sync') : '✖ the last run failed') + ' · ' + new Date(run.at).toLocaleTimeString() : 'no run yet'
    var box = $('run-error')
    if (run && !run.ok) {
      box.hidden = false
      box.textContent = run.error.message + (run.error.hint ? '\n' + run.error.hint : '')
    } else box.hidden = true
    document.body.setAttribute('data-run', run ? (run.ok ? 'ok' : 'failed') : 'none')
    renderDiagram()
    renderPending()
    renderHistory()
    renderBackups()
  }

  // ---- the diagram ----
  function columnLine(c) {
    var keys = (c.primary ? 'PK ' : '') + (c.unique ? 'UQ ' : '') + (c.references ? 'FK ' : '')
    return { keys: keys.trim(), text: c.name, type: (c.type || '?') + (c.notNull ? '' : '?') }
  }
  function tableSize(t) {
    var widest = t.name.length + 8
    t.columns.forEach(function (c) { var l = columnLine(c); widest = Math.max(widest, l.keys.length + l.text.length + l.type.length + 4) })
    return { width: Math.ceil(widest * CHAR + 2 * PAD), height: HEAD + Math.max(1, t.columns.length) * ROW + 6 }
  }
  function renderDiagram() {
    var d = state.diagram
    $('diagram-note').textContent = d.note || (d.tables.length + ' table(s)')
    var key = JSON.stringify([d.tables.map(function (t) { return [t.name, t.columns] }), d.relations])
    if (key === layoutKey) { drawDetails(); markCounts(); return }
    layoutKey = key
    var graph = {
      id: 'root',
      layoutOptions: { 'elk.algorithm': 'layered', 'elk.direction': 'RIGHT', 'elk.edgeRouting': 'ORTHOGONAL', 'elk.spacing.nodeNode': '36', 'elk.layered.spacing.nodeNodeBetweenLayers': '70', 'elk.edgeLabels.inline': 'true', 'elk.separateConnectedComponents': 'true', 'elk.spacing.componentComponent': '50' },
      children: d.tables.map(function (t, i) { var s = tableSize(t); return { id: 'n' + i, width: s.width, height: s.height } }),
      edges: [],
    }
    var index = {}
    d.tables.forEach(function (t, i) { index[t.name] = i })
    d.relations.forEach(function (r, i) {
      if (index[r.from] === undefined || index[r.to] === undefined) return
      graph.edges.push({ id: 'e' + i, sources: ['n' + index[r.from]], targets: ['n' + index[r.to]], labels: [{ id: 'l' + i, text: r.onDelete, width: r.onDelete.length * 6.6 + 4, height: 13 }] })
    })
    new ELK().layout(graph).then(function (laid) { draw(d, laid) }).catch(function (error) {
      $('diagram-note').textContent = 'the layout failed: ' + error.message
    })
  }
  function draw(d, laid) {
    var root = $('diagram')
    clear(root)
    var edgesLayer = svg('g', { 'class': 'relations' })
    var nodesLayer = svg('g', { 'class': 'tables' })
    root.appendChild(edgesLayer)
    root.appendChild(nodesLayer)
    laid.edges.forEach(function (e) {
      var r = d.relations[Number(e.id.slice(1))]
      var g = svg('g', { 'class': 'relation', 'data-from': r.from, 'data-to': r.to, 'data-on-delete': r.onDelete })
      ;(e.sections || []).forEach(function (s) {
        var pts = [s.startPoint].concat(s.bendPoints || [], [s.endPoint])
        g.appendChild(svg('path', { d: 'M' + pts.map(function (p) { return p.x + ' ' + p.y }).join(' L'), 'marker-end': 'url(#arrow)' }))
      })
      ;(e.labels || []).forEach(function (l) { g.appendChild(svg('text', { x: l.x, y: l.y + 10 }, l.text)) })
      var title = svg('title', {}, r.from + '(' + r.fromColumns.join(', ') + ') → ' + r.to + ' · on delete ' + r.onDelete)
      g.appendChild(title)
      edgesLayer.appendChild(g)
    })
    laid.children.forEach(function (n) {
      var t = d.tables[Number(n.id.slice(1))]
      var g = svg('g', { 'class': 'table-box', 'data-table': t.name, transform: 'translate(' + n.x + ' ' + n.y + ')' })
      g.appendChild(svg('rect', { 'class': 'body', width: n.width, height: n.height, rx: 5 }))
      g.appendChild(svg('rect', { 'class': 'head', width: n.width, height: HEAD, rx: 5 }))
      g.appendChild(svg('text', { 'class': 'name', x: PAD, y: 16 }, t.name))
      g.appendChild(svg('text', { 'class': 'rows', x: n.width - PAD, y: 16, 'text-anchor': 'end', fill: '#fff' }, String(t.rows)))
      t.columns.forEach(function (c, i) {
        var l = columnLine(c)
        var y = HEAD + 14 + i * ROW
        var row = svg('g', { 'class': 'column', 'data-column': c.name })
        if (l.keys) row.appendChild(svg('text', { 'class': 'key', x: PAD, y: y }, l.keys))
        row.appendChild(svg('text', { x: PAD + (l.keys ? (l.keys.length + 1) * CHAR : 0), y: y }, l.text))
        row.appendChild(svg('text', { 'class': 'type', x: n.width - PAD, y: y, 'text-anchor': 'end' }, l.type))
        g.appendChild(row)
      })
      g.addEventListener('click', function (event) { event.stopPropagation(); selected = t.name; drawDetails() })
      nodesLayer.appendChild(g)
    })
    var defs = svg('defs')
    var marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' })
    marker.appendChild(svg('path', { d: 'M0 0 L10 5 L0 10 z', fill: 'currentColor' }))
    defs.appendChild(marker)
    root.insertBefore(defs, root.firstChild)
    var tables = d.tables.map(function (t) { return t.name }).sort().join('\n')
    var first = view === null || tables !== drawnTables
    drawnTables = tables
    view = view || { x: 0, y: 0, w: 1, h: 1 }
    view.width = laid.width || 1
    view.height = laid.height || 1
    if (first) fit()
    else apply()
    drawDetails()
  }
  function markCounts() {
    state.diagram.tables.forEach(function (t) {
      var node = document.querySelector('.table-box[data-table="' + CSS.escape(t.name) + '"] text.rows')
      if (node) node.textContent = String(t.rows)
    })
  }
  function drawDetails() {
    var box = $('details')
    document.querySelectorAll('.table-box.selected').forEach(function (n) { n.classList.remove('selected') })
    var t = state && selected ? state.diagram.tables.filter(function (x) { return x.name === selected })[0] : null
    if (!t) { box.hidden = true; return }
    var node = document.querySelector('.table-box[data-table="' + CSS.escape(t.name) + '"]')
    if (node) node.classList.add('selected')
    clear(box)
    box.hidden = false
    box.setAttribute('data-table', t.name)
    box.appendChild(el('h3', {}, t.name))
    box.appendChild(el('div', { 'class': 'row-count' }, t.rows + ' row(s)'))
    var model = el('div', { 'class': 'model' })
    if (t.file) { model.appendChild(document.createTextNode('model: ')); model.appendChild(editorLink(t.file, t.path, t.line)) } else model.textContent = 'no model owns this table'
    box.appendChild(model)
    var table = el('table')
    t.columns.forEach(function (c) {
      var tr = el('tr')
      tr.appendChild(el('td', {}, c.name))
      tr.appendChild(el('td', {}, c.type + (c.notNull ? ' not null' : '')))
      tr.appendChild(el('td', {}, [c.primary ? 'primary key' : '', c.unique ? 'unique' : '', c.references ? '→ ' + c.references : ''].filter(Boolean).join(', ')))
      table.appendChild(tr)
    })
    box.appendChild(table)
    var close = el('button', { type: 'button' }, 'close')
    close.addEventListener('click', function () { selected = null; drawDetails() })
    box.appendChild(close)
  }

  // ---- pan and zoom, on the SVG's viewBox ----
  function apply() { $('diagram').setAttribute('viewBox', [view.x, view.y, view.w, view.h].join(' ')) }
  function fit() {
    var box = $('diagram').getBoundingClientRect()
    var aspect = (box.width || 800) / (box.height || 500)
    var w = view.width + 40, h = view.height + 40
    if (w / h < aspect) w = h * aspect; else h = w / aspect
    view.w = w; view.h = h
    view.x = (view.width - w) / 2; view.y = (view.height - h) / 2
    apply()
  }
  function zoom(factor, cx, cy) {
    if (!view) return
    var nw = Math.min(Math.max(view.w * factor, 50), Math.max(view.width, view.height) * 8 + 400)
    var k = nw / view.w
    view.x = cx - (cx - view.x) * k; view.y = cy - (cy - view.y) * k
    view.w = nw; view.h = view.h * k
    apply()
  }
  function toDiagram(event) {
    var box = $('diagram').getBoundingClientRect()
    return { x: view.x + (event.clientX - box.left) / box.width * view.w, y: view.y + (event.clientY - box.top) / box.height * view.h }
  }
  function setUpPanZoom() {
    var root = $('diagram')
    root.addEventListener('wheel', function (event) {
      if (!view) return
      event.preventDefault()
      var p = toDiagram(event)
      zoom(Math.exp(event.deltaY * 0.0015), p.x, p.y)
    }, { passive: false })
    var drag = null
    root.addEventListener('pointerdown', function (event) {
      if (!view || event.button !== 0) return
      drag = { x: event.clientX, y: event.clientY, vx: view.x, vy: view.y, moved: false }
    })
    window.addEventListener('pointermove', function (event) {
      if (!drag) return
      var box = root.getBoundingClientRect()
      var dx = event.clientX - drag.x, dy = event.clientY - drag.y
      if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; root.classList.add('dragging') }
      view.x = drag.vx - dx / box.width * view.w
      view.y = drag.vy - dy / box.height * view.h
      apply()
    })
    window.addEventListener('pointerup', function () { drag = null; root.classList.remove('dragging') })
    root.addEventListener('click', function () { if (selected) { selected = null; drawDetails() } })
    $('zoom-in').addEventListener('click', function () { zoom(0.8, view.x + view.w / 2, view.y + view.h / 2) })
    $('zoom-out').addEventListener('click', function () { zoom(1.25, view.x + view.w / 2, view.y + view.h / 2) })
    $('zoom-fit').addEventListener('click', function () { if (view) fit() })
  }

  // ---- the pending change ----
  function renderPending() {
    var box = $('pending')
    var p = state.pending
    var shownFingerprint = box.getAttribute('data-fingerprint')
    // Keep an open confirmation as it is while the change it is about stays the same.
    if (p && p.fingerprint && shownFingerprint === p.fingerprint && box.querySelector('.confirm')) return
    clear(box)
    box.removeAttribute('data-fingerprint')
    box.setAttribute('data-kind', p ? p.kind : 'none')
    if (!p) { box.appendChild(el('p', { 'class': 'quiet' }, 'none: the database matches the models')); return }
    box.appendChild(el('p', {}, p.kind === 'data-loss' ? 'The dev server refused this change: it loses data.' : p.steps.length + ' change(s) wait to be applied.'))
    var steps = el('ul', { 'class': 'steps' })
    p.steps.forEach(function (s) {
      var li = el('li', {}, s.description + ' ')
      if (s.file) li.appendChild(editorLink(s.file, state.root + '/' + s.file, s.line))
      steps.appendChild(li)
    })
    box.appendChild(steps)
    if (p.loss && p.loss.length) {
      box.appendChild(el('strong', { 'class': 'loss' }, 'It would lose:'))
      var lost = el('ul', { 'class': 'loss-items' })
      p.loss.forEach(function (l) { lost.appendChild(el('li', { 'class': 'loss' }, l)) })
      box.appendChild(lost)
    }
    p.warnings.forEach(function (w) { box.appendChild(el('p', { 'class': 'warning' }, '! ' + w)) })
    p.unexecutable.forEach(function (u) { box.appendChild(el('p', { 'class': 'loss' }, '✖ cannot run: ' + u)) })
    if (p.sql) { var details = el('details'); details.appendChild(el('summary', {}, 'SQL')); details.appendChild(el('pre', { 'class': 'sql' }, p.sql)); box.appendChild(details) }
    if (p.kind !== 'data-loss') return
    if (p.blocked) { box.appendChild(el('p', { 'class': 'loss' }, 'It cannot be applied from here: ' + p.blocked)); return }
    if (!p.fingerprint) { box.appendChild(el('p', { 'class': 'quiet' }, 'working out exactly what would be lost…')); return }
    box.setAttribute('data-fingerprint', p.fingerprint)
    var start = el('button', { type: 'button', id: 'apply-start', 'class': 'danger' }, 'Apply and lose this data…')
    box.appendChild(start)
    start.addEventListener('click', function () {
      start.disabled = true
      var confirm = el('div', { 'class': 'confirm' })
      confirm.appendChild(el('p', {}, 'This is permanent (a backup is taken first). Applying loses:'))
      var items = el('ul')
      p.loss.forEach(function (l) { items.appendChild(el('li', { 'class': 'loss' }, l)) })
      confirm.appendChild(items)
      var named = (p.lossTargets || []).join(', ')
      var yes = el('button', { type: 'button', id: 'apply-confirm', 'class': 'danger' }, 'Yes, lose the data in ' + (named || 'the items above') + ' and apply ' + p.steps.length + ' change(s)')
      var no = el('button', { type: 'button', id: 'apply-cancel' }, 'Cancel')
      confirm.appendChild(yes)
      confirm.appendChild(document.createTextNode(' '))
      confirm.appendChild(no)
      var result = el('p', { id: 'apply-result' })
      confirm.appendChild(result)
      box.appendChild(confirm)
      no.addEventListener('click', function () { box.removeChild(confirm); start.disabled = false })
      yes.addEventListener('click', function () {
        yes.disabled = true; no.disabled = true
        result.textContent = 'applying…'
        post('/api/apply', { fingerprint: p.fingerprint, confirm: true }).then(function (answer) {
          result.className = answer.ok ? 'ok' : 'loss'
          result.textContent = answer.ok ? 'applied' + (answer.backup ? ' · backup ' + answer.backup : '') : answer.error.message + (answer.error.hint ? ' (' + answer.error.hint + ')' : '')
          box.removeAttribute('data-fingerprint')
          setTimeout(load, answer.ok ? 0 : 2500)
        })
      })
    })
  }

  // ---- history and backups ----
  function renderHistory() {
    var list = $('history')
    clear(list)
    if (!state.history.length) { list.appendChild(el('li', { 'class': 'quiet' }, 'no runs recorded yet')); return }
    state.history.forEach(function (h) {
      var li = el('li', { 'class': h.status, 'data-id': h.id })
      li.appendChild(el('span', { 'class': 'badge' }, h.status.replace('_', ' ')))
      // A long run (a first migration of 100 tables) is one line; its steps fold out.
      li.appendChild(el('span', { 'class': 'description' }, h.steps.length > 3 ? h.steps[0].description + ' and ' + (h.steps.length - 1) + ' more' : h.description))
      li.appendChild(el('div', { 'class': 'meta' }, new Date(h.startedAt).toLocaleString() + ' · ' + h.durationMs + ' ms · ' + h.trigger))
      if (h.steps.length > 1) {
        var fold = el('details')
        fold.appendChild(el('summary', {}, h.steps.length + ' steps'))
        var steps = el('ul')
        h.steps.forEach(function (s) { steps.appendChild(el('li', {}, s.description + (s.file ? ' (' + s.file + ')' : ''))) })
        fold.appendChild(steps)
        li.appendChild(fold)
      }
      if (h.error) li.appendChild(el('div', { 'class': 'loss' }, (h.failedStep ? 'failed at ' + h.failedStep + ': ' : '') + h.error))
      list.appendChild(li)
    })
  }
  function renderBackups() {
    var list = $('backups')
    clear(list)
    if (!state.backups.length) { list.appendChild(el('li', { 'class': 'quiet' }, 'no backups yet')); return }
    state.backups.forEach(function (b) {
      var li = el('li', { 'data-backup': b.name })
      li.appendChild(el('span', {}, b.name + ' '))
      li.appendChild(el('span', { 'class': 'meta' }, size(b.size) + ' · ' + ago(b.ageSeconds) + (b.verified ? '' : ' · not verified as this database\'s') + ' '))
      var button = el('button', { type: 'button', 'class': 'restore' }, 'restore')
      li.appendChild(button)
      button.addEventListener('click', function () {
        // Two clicks: the second button names the backup and what it replaces.
        if (!button.classList.contains('danger')) {
          button.classList.add('danger')
          button.textContent = 'Yes, replace ' + state.database + ' with ' + b.name
          return
        }
        button.disabled = true
        var out = $('restore-result')
        out.hidden = false
        out.textContent = 'restoring…'
        post('/api/restore', { backup: b.name, confirm: b.name }).then(function (answer) {
          out.className = answer.ok ? 'ok' : 'loss'
          out.textContent = answer.ok ? 'restored ' + answer.restored + (answer.safetyBackup ? ' · the database it replaced is kept as ' + answer.safetyBackup : '') + (answer.undone.length ? ' · undone: ' + answer.undone.map(function (u) { return u.description }).join('; ') : '') : answer.error.message + (answer.error.hint ? ' (' + answer.error.hint + ')' : '')
          load()
        })
      })
      list.appendChild(li)
    })
  }

  // ---- live: Vite's HMR socket says when a run has finished ----
  function connect() {
    var live = $('live')
    if (!settings.hmr) { live.textContent = '○ polling'; setInterval(load, 3000); return }
    var h = settings.hmr
    var protocol = h.protocol || (location.protocol === 'https:' ? 'wss' : 'ws')
    var host = (h.host || location.hostname)
    if (host.indexOf(':') >= 0 && host.charAt(0) !== '[') host = '[' + host + ']'
    var url = protocol + '://' + host + ':' + (h.port || location.port || (location.protocol === 'https:' ? 443 : 80)) + h.path + '?token=' + encodeURIComponent(h.token)
    var socket = new WebSocket(url, 'vite-hmr')
    socket.addEventListener('open', function () { live.textContent = '● live'; live.className = 'live on'; load() })
    socket.addEventListener('message', function (event) {
      var message
      try { message = JSON.parse(event.data) } catch (e) { return }
      if (message.type === 'custom' && message.event === 'migrate:run') load()
    })
    socket.addEventListener('close', function () { live.textContent = '○ reconnecting'; live.className = 'live'; setTimeout(connect, 1000) })
  }

  setUpPanZoom()
  load()
  connect()
})()
`
