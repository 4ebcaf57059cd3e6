import { describe, expect, it } from 'vitest'
import { decideMode, isCI, summary } from '../plugin/core/runner.ts'
import { DEFAULTS, loadConfig } from '../plugin/core/config.ts'
import { Project } from './helpers.ts'

describe('dev or build, CI or not', () => {
  const config = loadConfig({ root: new Project().root, env: {} })

  it('reads CI like CI systems set it', () => {
    expect(isCI({ CI: 'true' })).toBe(true)
    expect(isCI({ CI: '1' })).toBe(true)
    expect(isCI({ CI: 'false' })).toBe(false)
    expect(isCI({ CI: '0' })).toBe(false)
    expect(isCI({})).toBe(false)
  })

  it('dev applies and builds check by default; CI turns a default apply into check; explicit options win', () => {
    expect(DEFAULTS.dev).toBe('apply')
    expect(decideMode(config, {}, true, {})).toBe('apply')
    expect(decideMode(config, {}, false, {})).toBe('check')
    expect(decideMode(config, {}, true, { CI: 'true' })).toBe('check')
    expect(decideMode({ ...config, build: 'apply' }, {}, false, { CI: 'true' })).toBe('check')
    expect(decideMode(config, { build: 'apply' }, false, { CI: 'true' })).toBe('apply')
    expect(decideMode(config, { dev: 'warn' }, true, {})).toBe('warn')
    expect(decideMode({ ...config, dev: 'off' }, {}, true, {})).toBe('off')
  })

  it('summarises a plan in one line naming what changed and where', () => {
    const step = (description: string, file?: string) => ({ kind: 'add column' as const, table: 'users', description, sql: [], ...(file ? { file } : {}) })
    expect(summary({ steps: [step('add column users.phone', 'model/user_models.ts')], sql: '', tables: ['users'] })).toBe('added column users.phone (model/user_models.ts)')
    expect(summary({ steps: [step('create table orders'), step('add column users.phone')], sql: '', tables: [] })).toBe('created table orders and 1 more change(s)')
  })
})
