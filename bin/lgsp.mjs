#!/usr/bin/env node
// `lgsp` command: a thin launcher that runs the TypeScript CLI on Node's own type stripping (no build step,
// no loader: the tree uses only erasable syntax, which tsconfig's erasableSyntaxOnly enforces).
if (!process.features.typescript) {
  console.error(`lgsp needs Node 24 (this is ${process.version}, which cannot run TypeScript): run it as \`npx lgsp\` in the project, which uses the Node that npm ci installed`)
  process.exit(2)
}
const { main } = await import('../src/cli/main.ts')
process.exitCode = await main(process.argv.slice(2))
