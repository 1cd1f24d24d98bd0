/**
 * `lgsp <command> …` dispatcher. Each command is one file in ./commands exporting
 * `run(argv: string[]): Promise<number>` (the exit code) and `summary` (one line for help).
 */
const COMMANDS: Record<string, () => Promise<{ run: (argv: string[]) => Promise<number>; summary: string }>> = {
  // commands register here, one line each, e.g.:
  // pki: () => import('./commands/pki.ts'),
  pki: () => import('./commands/pki.ts'),
  sign: () => import('./commands/sign.ts'),
  verify: () => import('./commands/verify.ts'),
  'verify-receipt': () => import('./commands/verify-receipt.ts'),
  directory: () => import('./commands/directory.ts'),
  log: () => import('./commands/log.ts'),
  dlq: () => import('./commands/dlq.ts'),
  keys: () => import('./commands/keys.ts'),
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  const load = name ? COMMANDS[name] : undefined
  if (!load) {
    const lines = await Promise.all(Object.entries(COMMANDS).map(async ([n, l]) => `  ${n.padEnd(12)} ${(await l()).summary}`))
    process.stderr.write(`usage: lgsp <command> [options]\n\ncommands:\n${lines.join('\n')}\n`)
    return name ? 2 : 0
  }
  return (await load()).run(rest)
}
