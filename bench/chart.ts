/** A dependency-free SVG bar chart of the medians (log scale), grouped by scenario and model count. */
interface Figure { scenario: string, size: number, tool: string, medianMs: number, kind?: 'ours' | 'peer' | 'floor' }

const COLORS: Record<string, string> = { ours: '#2563eb', peer: '#9ca3af', floor: '#16a34a' }

export function renderChart(figures: Figure[]): string {
  const rows = figures.filter((f) => f.size > 0 && !f.tool.includes('first build'))
  const barH = 14
  const gap = 4
  const groupGap = 14
  const left = 330
  const width = 900
  const plotW = width - left - 90
  const max = Math.max(...rows.map((f) => f.medianMs))
  const min = 0.1
  const x = (ms: number) => (Math.log10(Math.max(ms, min)) - Math.log10(min)) / (Math.log10(max) - Math.log10(min)) * plotW
  const parts: string[] = []
  let y = 40
  let group = ''
  for (const f of rows) {
    const key = `${f.scenario} · ${f.size} models`
    if (key !== group) {
      group = key
      y += groupGap
      parts.push(`<text x="8" y="${y + 10}" font-weight="600">${escape(key)}</text>`)
      y += barH + gap
    }
    // Figures written before floors had a kind are told apart by their tool's name.
    const kind = f.kind ?? (f.tool.startsWith('migrate-plugin') ? 'ours' : f.tool.startsWith('raw') ? 'floor' : 'peer')
    const label = f.medianMs < 10 ? `${f.medianMs.toFixed(2)} ms` : `${Math.round(f.medianMs)} ms`
    parts.push(`<text x="${left - 8}" y="${y + 11}" text-anchor="end">${escape(f.tool)}</text>`)
    parts.push(`<rect x="${left}" y="${y}" width="${Math.max(1, x(f.medianMs)).toFixed(1)}" height="${barH}" fill="${COLORS[kind]}"/>`)
    parts.push(`<text x="${left + x(f.medianMs) + 6}" y="${y + 11}">${label}</text>`)
    y += barH + gap
  }
  const height = y + 20
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="system-ui, sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="8" y="22" font-size="15" font-weight="700">migrate-plugin vs drizzle-kit vs the floors (Node's own start, the same DDL alone) — median wall time (log scale, shorter is better)</text>
${parts.join('\n')}
</svg>
`
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
