/**
 * A seeded random source for the fuzz tests. The seed is new on every run (more inputs get tried
 * over time) unless MP_FUZZ_SEED pins it; every failure message carries it, so that
 * `MP_FUZZ_SEED=<seed> npx vitest run …` replays exactly the inputs that failed.
 */
export interface Random {
  readonly seed: number
  /** A whole number in [0, n). */
  int(n: number): number
  /** True with probability p. */
  chance(p: number): boolean
  pick<T>(items: readonly T[]): T
}

export function fuzzSeed(): number {
  const pinned = process.env.MP_FUZZ_SEED
  return pinned !== undefined ? Number(pinned) >>> 0 : (Math.random() * 2 ** 32) >>> 0
}

/** mulberry32: tiny, and the same sequence for the same seed on every platform. */
export function random(seed: number): Random {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
  return {
    seed,
    int: (n) => Math.floor(next() * n),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)]!,
  }
}
