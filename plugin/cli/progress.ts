/**
 * One status line on stderr for work that takes a while (loading 1000 models, starting the engine,
 * backing up a large database, generating the Prisma Client): it appears only after the work has
 * taken `delayMs`, is redrawn in place, and is erased when the work ends, so a fast run prints
 * exactly what it printed before. Only on a terminal: a CI log (no TTY, or CI set) or `--json`
 * gets nothing, not even a carriage return.
 */
import { isCI } from '../core/ci-env.ts'

export interface ProgressStream {
  isTTY?: boolean
  columns?: number
  write(text: string): unknown
}

export interface ProgressOptions {
  stream?: ProgressStream
  env?: NodeJS.ProcessEnv
  /** --json: the output is for a program; nothing else is written. */
  json?: boolean
  delayMs?: number
  intervalMs?: number
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

export { isCI }

export function progressEnabled(stream: ProgressStream, env: NodeJS.ProcessEnv, json: boolean): boolean {
  return !!stream.isTTY && !json && !isCI(env) && env.TERM !== 'dumb'
}

export class Progress {
  readonly enabled: boolean
  readonly #stream: ProgressStream
  readonly #delayMs: number
  readonly #intervalMs: number
  #label = ''
  #startedAt = 0
  #timer: NodeJS.Timeout | undefined
  #frame = 0
  #drawn = false

  constructor(options: ProgressOptions = {}) {
    this.#stream = options.stream ?? process.stderr
    this.enabled = progressEnabled(this.#stream, options.env ?? process.env, !!options.json)
    this.#delayMs = options.delayMs ?? 300
    this.#intervalMs = options.intervalMs ?? 100
  }

  /**
   * Name the work now in progress. The clock keeps running across labels: a run that is already
   * slow shows its next step at once, which matters for steps that block the event loop (a
   * backup is one synchronous copy) and so could never be drawn by the timer while they run.
   */
  step(label: string): void {
    if (!this.enabled) return
    this.#label = label
    if (this.#timer === undefined) {
      this.#startedAt = performance.now()
      this.#timer = setInterval(() => this.#tick(), this.#intervalMs)
      // A forgotten line must never keep the CLI from exiting.
      this.#timer.unref()
      return
    }
    this.#tick()
  }

  /** Erase the line (before printing anything else, or asking a question) and stop the clock. */
  done(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    if (this.#drawn) this.#stream.write('\r\x1b[2K')
    this.#drawn = false
  }

  #tick(): void {
    const elapsed = performance.now() - this.#startedAt
    if (elapsed < this.#delayMs) return
    const frame = FRAMES[this.#frame++ % FRAMES.length]!
    let text = `${frame} ${this.#label}… ${(elapsed / 1000).toFixed(1)} s`
    // A line longer than the terminal wraps, and a wrapped line cannot be erased with \r. A terminal
    // with no size (0 columns, as under `script`) gets 80.
    const width = this.#stream.columns || 80
    if (text.length > width - 1) text = `${text.slice(0, Math.max(0, width - 2))}…`
    this.#stream.write(`\r\x1b[2K${text}`)
    this.#drawn = true
  }
}
