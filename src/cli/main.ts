/**
 * `lgsp <command> …` dispatcher. Each command is one file in ./commands exporting
 * `run(argv: string[]): Promise<number>` (the exit code), `summary` (one line for the command list) and
 * `usage` (what `lgsp <command> --help` prints). Help goes to stdout with exit 0; usage mistakes are one
 * line on stderr with exit 2 (src/cli/args.ts).
 */
import { isUsageError, usageError, wantsHelp } from './args.ts'

interface Command {
  run: (argv: string[]) => Promise<number>
  summary: string
  usage?: string
}

const COMMANDS: Record<string, () => Promise<Command>> = {
  // commands register here, one line each
  pki: () => import('./commands/pki.ts'),
  sign: () => import('./commands/sign.ts'),
  verify: () => import('./commands/verify.ts'),
  'verify-receipt': () => import('./commands/verify-receipt.ts'),
  directory: () => import('./commands/directory.ts'),
  log: () => import('./commands/log.ts'),
  dlq: () => import('./commands/dlq.ts'),
  'vxp-system': () => import('./commands/vxp-system.ts'),
  keys: () => import('./commands/keys.ts'),
  doctor: () => import('./commands/doctor.ts'),
}

async function overview(): Promise<string> {
  const lines = await Promise.all(Object.entries(COMMANDS).map(async ([n, l]) => `  ${n.padEnd(15)} ${(await l()).summary}`))
  return `usage: lgsp <command> [options]     (lgsp <command> --help for its options)\n\ncommands:\n${lines.join('\n')}\n`
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const about = name === 'help' && rest[0] ? COMMANDS[rest[0]] : undefined
    process.stdout.write(about ? usageOf(rest[0]!, await about()) : await overview())
    return 0
  }
  const load = COMMANDS[name]
  if (!load) {
    process.stderr.write(`lgsp: unknown command "${name}" (\`lgsp --help\` lists the commands)\n`)
    return 2
  }
  const command = await load()
  if (wantsHelp(rest)) {
    process.stdout.write(usageOf(name, command))
    return 0
  }
  try {
    return await command.run(rest)
  } catch (e) {
    if (isUsageError(e)) {
      process.stderr.write(usageError(name, (e as Error).message))
      return 2
    }
    process.stderr.write(`lgsp ${name}: ${(e as Error).message}\n`)
    return 1
  }
}

const usageOf = (name: string, c: Command) => c.usage ?? `usage: lgsp ${name} …\n  ${c.summary}\n`
