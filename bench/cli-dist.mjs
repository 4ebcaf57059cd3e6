// The CLI as users run it: the built dist/, not the TypeScript sources.
const { main } = await import('../dist/cli.js')
process.exitCode = await main(process.argv.slice(2))
