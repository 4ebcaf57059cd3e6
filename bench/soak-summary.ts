/** What bench/soak.mjs measured, reduced to the figures the issue's goal is about. */
export interface SoakResult {
  saves: number
  /** RSS after save 1, 10, 100, 300 (those the run reached) and after the last save. */
  rssAtMB: Record<string, number>
  /** rss(last save) − rss(save 1): what a long session keeps. */
  rssGrowthMB: number
  /** The highest RSS after any save, and its growth over save 1: a curve that peaked and fell back shows here. */
  rssMaxMB: number
  rssMaxGrowthMB: number
  /**
   * rss(last save) − rss(save 10), when the run went past save 20: the first saves load the engine's
   * and the loader's code and let V8 size its heaps for the work, once per server; what grows after
   * that is what a long session keeps.
   */
  rssGrowthAfterWarmUpMB?: number
  /** Save → column in the database (odd saves), and save → column gone again (even saves). */
  medianAddMs: number
  medianRemoveMs: number
}

export interface SoakRaw { rssMB: number[], addMs: number[], removeMs: number[] }

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

export function soakSummary(raw: SoakRaw, saves: number): SoakResult {
  // A child that stopped early (or counted differently) must not pass for a finished soak.
  if (raw.rssMB.length !== saves || raw.addMs.length + raw.removeMs.length !== saves || raw.addMs.length === 0 || raw.removeMs.length === 0) {
    throw new Error(`the soak reported ${raw.rssMB.length} RSS readings, ${raw.addMs.length} additions and ${raw.removeMs.length} removals for ${saves} saves`)
  }
  const rssAtMB: Record<string, number> = {}
  for (const save of [...[1, 10, 100, 300].filter((s) => s <= saves), saves]) rssAtMB[save] = raw.rssMB[save - 1]!
  const first = raw.rssMB[0]!
  const max = Math.max(...raw.rssMB)
  return {
    saves,
    rssAtMB,
    rssGrowthMB: raw.rssMB[saves - 1]! - first,
    rssMaxMB: max,
    rssMaxGrowthMB: max - first,
    ...(saves > 20 ? { rssGrowthAfterWarmUpMB: raw.rssMB[saves - 1]! - raw.rssMB[9]! } : {}),
    medianAddMs: median(raw.addMs),
    medianRemoveMs: median(raw.removeMs),
  }
}

/** One line for the table: the RSS curve, the growth, the other direction's time. */
export function soakNote(s: SoakResult): string {
  const at = Object.entries(s.rssAtMB)
  return `RSS after save ${at.map(([save]) => save).join('/')}: ${at.map(([, mb]) => Math.round(mb)).join('/')} MB · growth ${signed(s.rssGrowthMB)} MB (max ${Math.round(s.rssMaxMB)} MB, ${signed(s.rssMaxGrowthMB)})${s.rssGrowthAfterWarmUpMB === undefined ? '' : `, ${signed(s.rssGrowthAfterWarmUpMB)} MB after save 10`} · column removed: median ${Math.round(s.medianRemoveMs)} ms`
}

function signed(mb: number): string {
  return `${mb >= 0 ? '+' : '−'}${Math.abs(mb).toFixed(1)}`
}
