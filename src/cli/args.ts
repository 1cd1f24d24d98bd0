/**
 * What every `lgsp` command shares about its arguments: `--help`/`-h` anywhere prints the command's usage
 * to stdout (exit 0), and a usage mistake is one line on stderr (exit 2) — never a stack trace.
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util'

export const wantsHelp = (argv: string[]) => {
  const end = argv.indexOf('--')
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h')
}

/** The one-line answer to a usage mistake. */
export const usageError = (command: string, message: string) =>
  `lgsp ${command}: ${message.split('. To specify')[0]!.replace(/\s+/g, ' ').trim()} (\`lgsp ${command} --help\` shows the usage)\n`

/** node:util parseArgs throws these for unknown options, missing values and stray positionals. */
export const isUsageError = (e: unknown) => typeof (e as { code?: unknown })?.code === 'string' && (e as { code: string }).code.startsWith('ERR_PARSE_ARGS')

/** parseArgs with positionals, or null after the one-line usage mistake on stderr (the caller exits 2). */
export function parseCommandArgs<T extends ParseArgsOptionsConfig>(command: string, argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options })
  } catch (e) {
    process.stderr.write(usageError(command, (e as Error).message))
    return null
  }
}
