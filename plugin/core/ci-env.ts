/** Whether CI is set to something that means yes (`CI=0` and `CI=false` do not). Apart from the runner: the CLI asks it on every run. */
export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false'
}
