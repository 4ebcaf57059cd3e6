import { MigrateError } from '../core/errors.ts'
import { nearestWord } from '../core/suggest.ts'

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
  const near = nearestWord(word, known, { atLeast: 1, per: 3, ignoreCase: true })
  return new MigrateError('USAGE', `Unknown command "${word}".${near ? ` Did you mean ${near}?` : ''}`, {
    hint: `the commands are ${known.join(', ')}; run npx migrate-plugin --help`,
  })
}

/**
 * Refuse an option the command does not have, as the user spelled it: cac would report `--no-bakup`
 * as `--bakup`, and `--dry_run` as `--dryRun`.
 */
export function checkOptions(args: readonly string[], known: readonly string[], command: string, alsoSuggest: readonly string[] = []): void {
  const end = args.indexOf('--')
  for (const arg of end < 0 ? args : args.slice(0, end)) {
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) continue
    const name = arg.replace(/=.*$/s, '')
    if (known.includes(name)) continue
    // `-hv`: single-letter flags together.
    if (/^-[a-z]{2,}$/i.test(name) && [...name.slice(1)].every((l) => known.includes(`-${l}`))) continue
    const long = [...known.filter((k) => k.startsWith('--')), ...alsoSuggest]
    const near = nearestWord(name, long, { atLeast: 2, per: 4 })
    throw new MigrateError('USAGE', `Unknown option "${name}"${command ? ` for ${command}` : ''}.${near ? ` Did you mean ${near}?` : ''}`, {
      hint: `run npx migrate-plugin ${command ? `${command} ` : ''}--help to see its options`,
    })
  }
}

/** Every spelling of the options in cac's raw names: `-v, --version` → -v, --version. */
export function optionSpellings(rawNames: readonly string[]): string[] {
  return rawNames.flatMap((raw) => raw.match(/(?<![\w-])--?[A-Za-z][\w-]*/g) ?? [])
}

/**
 * The value of `--name` exactly as typed. cac reads values that look like numbers as numbers:
 * `--config 007` would become 7 and `--database ''` 0, a different file or a crash.
 */
export function rawOption(args: readonly string[], name: string): string | undefined {
  const end = args.indexOf('--')
  const list = end < 0 ? args : args.slice(0, end)
  let value: string | undefined
  list.forEach((arg, i) => {
    if (arg.startsWith(`${name}=`)) value = arg.slice(name.length + 1)
    else if (arg === name && i + 1 < list.length && !list[i + 1]!.startsWith('-')) value = list[i + 1]
    else if (arg === name && i + 1 < list.length && list[i + 1] === '') value = ''
  })
  return value
}
