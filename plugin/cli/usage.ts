import { closest, distance } from 'fastest-levenshtein'
import { MigrateError } from '../core/errors.ts'

interface HelpSection {
  title?: string
  body: string
}

/**
 * cac's help, corrected: it prints `(default: true)` after every `--no-x` option (the value of `x`,
 * which reads as if the negation were on by default), and lists the default command as a row with
 * no name.
 */
export function fixHelp(sections: HelpSection[]): HelpSection[] {
  return sections.map((section) => {
    let body = section.body
    if (section.title === 'Options') body = body.replace(/^(\s+--no-\S+.*?)\s*\(default: true\)$/gm, '$1')
    if (section.title === 'Commands') body = body.replace(/^ {2}( +)(\S.*)$/m, (_all, pad: string, text: string) => `  ${'(none)'.padEnd(pad.length)}${text}`)
    if (section.title?.startsWith('For more info')) body = body.split('\n').filter((l) => !/^\s*\$ \S+ --help$/.test(l)).join('\n')
    return { ...section, body: body.split('\n').map((l) => l.trimEnd()).join('\n') }
  })
}

/** `migrate-plugin aply` → Unknown command "aply". Did you mean apply? */
export function unknownCommand(word: string, known: readonly string[]): MigrateError {
  const best = closest(word, known as string[])
  const near = best !== undefined && distance(word.toLowerCase(), best) <= Math.max(1, Math.floor(word.length / 3))
  return new MigrateError('USAGE', `Unknown command "${word}".${near ? ` Did you mean ${best}?` : ''}`, {
    hint: `the commands are ${known.join(', ')}; run npx migrate-plugin --help`,
  })
}
