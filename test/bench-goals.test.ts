import { describe, expect, it } from 'vitest'
import { goalsFor, goalsTable, type GoalFigure } from '../bench/goals.ts'
import { soakSummary } from '../bench/soak-summary.ts'
import { renderChart } from '../bench/chart.ts'

const NODE = "node -e '' (Node's own start)"
const fig = (scenario: string, size: number, tool: string, medianMs: number): GoalFigure => ({ scenario, size, tool, medianMs })

function hundredModels(): GoalFigure[] {
  return [
    fig('create from empty', 100, 'migrate-plugin apply', 400),
    fig('create from empty', 100, 'drizzle-kit push --force', 1000),
    fig('no-op, whole process', 100, 'migrate-plugin check', 90),
    fig('no-op, whole process', 100, 'migrate-plugin check, no record (fresh clone)', 300),
    fig('no-op, whole process', 100, NODE, 50),
    fig('add one column', 100, 'migrate-plugin apply', 600),
    fig('add one column', 100, 'migrate-plugin apply --no-backup', 300),
    fig('add one column', 100, 'drizzle-kit push', 800),
    fig('dev loop: save → column in DB', 100, 'migrate-plugin + vite dev', 140),
  ]
}

function soakRaw(saves: number, rss: (save: number) => number) {
  return {
    rssMB: Array.from({ length: saves }, (_, i) => rss(i + 1)),
    addMs: Array.from({ length: Math.ceil(saves / 2) }, (_, i) => 100 + i),
    removeMs: Array.from({ length: Math.floor(saves / 2) }, () => 200),
  }
}

describe('bench goals (issue #12), computed from one run', () => {
  it('gives each goal its ratio and verdict, and the add-column row its --no-backup ratio', () => {
    const goals = goalsFor(hundredModels())
    const byFigure = Object.fromEntries(goals.map((g) => [g.figure, g]))
    expect(goals.map((g) => g.figure)).toEqual([
      'apply, add one column, whole process / drizzle-kit push (100 models)',
      'apply, create from empty / drizzle-kit push --force (100 models)',
      "no-op check, whole process / node -e '' (100 models)",
      "no-op check, no record (fresh clone) / node -e '' (100 models)",
      'dev loop, save → column in the database (100 models)',
    ])
    expect(byFigure['apply, add one column, whole process / drizzle-kit push (100 models)']).toMatchObject({ measured: 0.75, goal: 0.5, met: false, note: 'with --no-backup: 0.38 ×' })
    expect(byFigure['apply, create from empty / drizzle-kit push --force (100 models)']).toMatchObject({ measured: 0.4, met: true })
    expect(byFigure["no-op check, whole process / node -e '' (100 models)"]).toMatchObject({ measured: 1.8, goal: 1.6, met: false })
    expect(byFigure["no-op check, no record (fresh clone) / node -e '' (100 models)"]).toMatchObject({ measured: 6, goal: 2.5, met: false })
    expect(byFigure['dev loop, save → column in the database (100 models)']).toMatchObject({ measured: 140, unit: 'ms', goal: 150, met: true })
    const table = goalsTable(goals)
    expect(table).toContain('| apply, create from empty / drizzle-kit push --force (100 models) | 0.40 × | ≤ 0.50 × | yes |')
    expect(table).toContain('| dev loop, save → column in the database (100 models) | 140 ms | ≤ 150 ms | yes |')
  })

  it('judges the 1000-model goals only when 1000 models were run', () => {
    const goals = goalsFor([
      ...hundredModels(),
      fig('create from empty', 1000, 'migrate-plugin apply', 5000),
      fig('create from empty', 1000, 'drizzle-kit push --force', 4000),
      fig('dev loop: save → column in DB', 1000, 'migrate-plugin + vite dev', 500),
    ])
    expect(goals.find((g) => g.figure.startsWith('1000 models, create'))).toMatchObject({ measured: 1.25, goal: 1, met: false })
    expect(goals.find((g) => g.figure.includes('(1000 models)'))).toMatchObject({ measured: 500, goal: 600, met: true })
  })

  it('gives the soak a verdict over 300 saves, and none over fewer', () => {
    const full = soakSummary(soakRaw(300, (save) => 180 + save / 10), 300)
    const [long] = goalsFor([{ ...fig('dev server soak', 100, 'migrate-plugin + vite dev', full.medianAddMs), soak: full }])
    expect(long).toMatchObject({ unit: 'MB', goal: 30, met: true })
    expect(long!.measured).toBeCloseTo(29.9, 5)
    expect(long!.note).toBe('after the first 10 saves: +29.0 MB')

    const short = soakSummary(soakRaw(40, (save) => 180 + save * 2), 40)
    const [brief] = goalsFor([{ ...fig('dev server soak', 100, 'migrate-plugin + vite dev', short.medianAddMs), soak: short }])
    expect(brief).toMatchObject({ measured: 78, met: null, note: 'only 40 of 300 saves were run: not a verdict' })
    expect(goalsTable([brief!])).toContain('| 78.0 MB | ≤ 30.0 MB | n/a (only 40 of 300 saves were run: not a verdict) |')

    // The soak's median save time stands next to the dev loop's, as a second opinion at the same size.
    const devLoop = goalsFor([...hundredModels(), { ...fig('dev server soak', 100, 'migrate-plugin + vite dev', full.medianAddMs), soak: full }]).find((g) => g.figure.startsWith('dev loop'))
    expect(devLoop).toMatchObject({ measured: 140, met: true, note: "the soak's median over 150 added columns: 175 ms" })
  })
})

describe('bench soak summary', () => {
  it('reads the RSS at saves 1, 10, 100, 300, the growth, and the peak of a curve that fell back', () => {
    const s = soakSummary(soakRaw(300, (save) => (save === 150 ? 260 : 200 + save / 100)), 300)
    expect(Object.keys(s.rssAtMB)).toEqual(['1', '10', '100', '300'])
    expect(s.rssAtMB['100']).toBeCloseTo(201, 5)
    expect(s.rssGrowthMB).toBeCloseTo(2.99, 5)
    expect(s.rssMaxMB).toBe(260)
    expect(s.rssMaxGrowthMB).toBeCloseTo(59.99, 5)
    // From save 10 to save 300: 203 − 200.1
    expect(s.rssGrowthAfterWarmUpMB).toBeCloseTo(2.9, 5)
    expect(s.medianAddMs).toBe(174.5)
    expect(s.medianRemoveMs).toBe(200)
  })

  it('names the last save when the soak is shorter than 300 saves', () => {
    expect(Object.keys(soakSummary(soakRaw(40, () => 1), 40).rssAtMB)).toEqual(['1', '10', '40'])
  })

  it('refuses a report that does not cover every save', () => {
    const raw = soakRaw(40, () => 1)
    expect(() => soakSummary({ ...raw, rssMB: raw.rssMB.slice(1) }, 40)).toThrow('39 RSS readings, 20 additions and 20 removals for 40 saves')
    expect(() => soakSummary({ ...raw, removeMs: [] }, 40)).toThrow('for 40 saves')
  })
})

describe('bench chart', () => {
  it('draws floors in their own colour, and soak and floor rows without breaking', () => {
    const svg = renderChart([
      { scenario: 'no-op, whole process', size: 100, tool: 'migrate-plugin check', kind: 'ours', medianMs: 90 },
      { scenario: 'no-op, whole process', size: 100, tool: NODE, kind: 'floor', medianMs: 45 },
      { scenario: 'add one column', size: 100, tool: 'raw better-sqlite3 (same DDL)', kind: 'floor', medianMs: 0.05 },
      { scenario: 'dev server soak: save → column, 300 saves', size: 100, tool: 'migrate-plugin + vite dev', kind: 'ours', medianMs: 300 },
    ])
    expect(svg).toMatch(/<text [^>]*>node -e '' \(Node's own start\)<\/text>\n<rect [^>]*fill="#16a34a"\/>/)
    expect(svg).toContain('dev server soak: save → column, 300 saves · 100 models')
    expect(svg).not.toMatch(/NaN|Infinity/)
  })
})
