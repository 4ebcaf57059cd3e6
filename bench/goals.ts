/**
 * Issue #12's goals, each computed from the figures of this run (never from an earlier one), so a
 * table that says "met" always speaks about the code that was just measured.
 */
export interface GoalFigure {
  scenario: string
  size: number
  tool: string
  medianMs: number
  soak?: { saves: number, rssGrowthMB: number, rssGrowthAfterWarmUpMB?: number }
}

export interface Goal {
  figure: string
  /** The measured value, in `unit`. */
  measured: number
  unit: '×' | 'ms' | 'MB'
  /** Met when measured ≤ goal. */
  goal: number
  /** null: measured, but not under the goal's own conditions (a soak shorter than 300 saves). */
  met: boolean | null
  note?: string
}

const SOAK_GOAL_SAVES = 300

export function goalsFor(figures: GoalFigure[]): Goal[] {
  const find = (scenario: string, size: number, tool: string) => figures.find((f) => f.scenario === scenario && f.size === size && f.tool === tool)
  const goals: Goal[] = []
  const ratio = (figure: string, goal: number, scenario: string, size: number, ours: string, other: string, note?: (value: number) => string | undefined): void => {
    const a = find(scenario, size, ours)
    const b = find(scenario, size, other)
    if (!a || !b) return
    const measured = a.medianMs / b.medianMs
    const text = note?.(measured)
    goals.push({ figure, measured, unit: '×', goal, met: measured <= goal, ...(text ? { note: text } : {}) })
  }
  const absolute = (figure: string, goal: number, scenario: string, size: number, tool: string, note?: string): void => {
    const a = find(scenario, size, tool)
    if (a) goals.push({ figure, measured: a.medianMs, unit: 'ms', goal, met: a.medianMs <= goal, ...(note ? { note } : {}) })
  }
  const node = "node -e '' (Node's own start)"

  ratio('apply, add one column, whole process / drizzle-kit push (100 models)', 0.5, 'add one column', 100, 'migrate-plugin apply', 'drizzle-kit push', () => {
    const noBackup = find('add one column', 100, 'migrate-plugin apply --no-backup')
    const drizzle = find('add one column', 100, 'drizzle-kit push')
    return noBackup && drizzle ? `with --no-backup: ${(noBackup.medianMs / drizzle.medianMs).toFixed(2)} ×` : undefined
  })
  ratio('apply, create from empty / drizzle-kit push --force (100 models)', 0.5, 'create from empty', 100, 'migrate-plugin apply', 'drizzle-kit push --force')
  ratio('1000 models, create from empty / drizzle-kit push --force', 1.0, 'create from empty', 1000, 'migrate-plugin apply', 'drizzle-kit push --force')
  ratio("no-op check, whole process / node -e '' (100 models)", 1.6, 'no-op, whole process', 100, 'migrate-plugin check', node)
  ratio("no-op check, no record (fresh clone) / node -e '' (100 models)", 2.5, 'no-op, whole process', 100, 'migrate-plugin check, no record (fresh clone)', node)
  // The soak saves at 100 models too, many more times: its median is a second opinion on the dev loop's.
  const soakFigure = figures.find((f) => f.soak && f.size === 100)
  const soakNote = soakFigure ? `the soak's median over ${Math.ceil(soakFigure.soak!.saves / 2)} added columns: ${Math.round(soakFigure.medianMs)} ms` : undefined
  absolute('dev loop, save → column in the database (100 models)', 150, 'dev loop: save → column in DB', 100, 'migrate-plugin + vite dev', soakNote)
  absolute('dev loop, save → column in the database (1000 models)', 600, 'dev loop: save → column in DB', 1000, 'migrate-plugin + vite dev')

  const soak = figures.find((f) => f.soak)?.soak
  if (soak) {
    const full = soak.saves >= SOAK_GOAL_SAVES
    goals.push({
      figure: `dev server RSS growth over ${soak.saves} saves (goal: over ${SOAK_GOAL_SAVES})`,
      measured: soak.rssGrowthMB,
      unit: 'MB',
      goal: 30,
      met: full ? soak.rssGrowthMB <= 30 : null,
      ...(full
        ? soak.rssGrowthAfterWarmUpMB === undefined ? {} : { note: `after the first 10 saves: ${soak.rssGrowthAfterWarmUpMB >= 0 ? '+' : '−'}${Math.abs(soak.rssGrowthAfterWarmUpMB).toFixed(1)} MB` }
        : { note: `only ${soak.saves} of ${SOAK_GOAL_SAVES} saves were run: not a verdict` }),
    })
  }
  return goals
}

export function goalsTable(goals: Goal[]): string {
  const value = (g: Goal, n: number) => g.unit === '×' ? `${n.toFixed(2)} ×` : g.unit === 'ms' ? `${Math.round(n)} ms` : `${n.toFixed(1)} MB`
  const rows = ['| goal (issue #12) | measured | goal | met |', '|---|---:|---:|---|']
  for (const g of goals) rows.push(`| ${g.figure} | ${value(g, g.measured)} | ≤ ${value(g, g.goal)} | ${g.met === null ? 'n/a' : g.met ? 'yes' : 'no'}${g.note ? ` (${g.note})` : ''} |`)
  return rows.join('\n')
}
