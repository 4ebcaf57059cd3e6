import { createInterface } from 'node:readline/promises'

/** Questions are asked only of a person: stdin and stdout both a terminal (never a pipe, CI log or script). */
export function canAsk(): boolean {
  return !!process.stdin.isTTY && !!process.stdout.isTTY
}

/** A y/N question; anything but y or yes is a no. */
export async function ask(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout })
  try {
    const answer = await rl.question(`${question} [y/N] `)
    return /^y(es)?$/i.test(answer.trim())
  } catch (error) {
    // Ctrl-D or Ctrl-C at the question is a "no", not a crash: the caller refuses and changes nothing.
    if (error instanceof Error && error.name === 'AbortError') {
      process.stdout.write('\n')
      return false
    }
    throw error
  } finally {
    rl.close()
  }
}
