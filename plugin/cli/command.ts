import type { CommonOptions } from '../pipeline/inspect.ts'

/** The options as cac hands them to a command (`--no-backup` sets backup to false). */
export interface Flags {
  config?: string
  json?: boolean
  yes?: boolean
  backup?: boolean
  force?: boolean
  verify?: boolean
  acceptDataLoss?: boolean
  limit?: number
  database?: string
  /** check: text, json or markdown. */
  format?: string
  /** apply --plan <file> */
  plan?: string
  /** plan --name <slug> */
  name?: string
  '--'?: string[]
}

/**
 * One command, declared once: what `--help` shows and what runs. main.ts registers every
 * declaration with cac in the order given, so the help lists them in that order.
 */
export interface CommandSpec {
  /** cac's spelling: the name, then its arguments (`restore [backup]`); '' runs when no command is named. */
  name: string
  description: string
  alias?: string
  usage?: string
  /** Takes --config, --json and --yes (every command but init, whose --json and --yes say something else). */
  common: boolean
  /** cac's raw name, the help text, and a default; listed after the common options. */
  options?: [rawName: string, description: string, config?: { default?: unknown }][]
  examples?: string[]
  /** Given the command's arguments in their declared order; the number returned is the exit code (0 when none). */
  handler: (args: (string | undefined)[], flags: Flags) => Promise<number | void>
}

export function defineCommand(spec: CommandSpec): CommandSpec {
  return spec
}

/** The options every reading command passes on to the core. */
export function commonOptions(flags: Flags): CommonOptions {
  return { ...(flags.config ? { config: flags.config } : {}) }
}
