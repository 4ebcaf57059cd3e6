import { createRequire } from 'node:module'

// plugin/core/ and dist/core/ both sit two levels below package.json.
export const TOOL_VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version
