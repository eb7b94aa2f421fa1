import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'
import { repoRoot } from '../../support/runtimes.ts'

// The client's typing from one contract, checked by tsc: typed-contract.fixture.ts holds
// what must compile and, under @ts-expect-error, what must not. The client's own
// declarations also compile without the DOM library (Node, Deno, Workers types).
it('types emit, on and request from one contract, and needs no DOM library', { timeout: 60_000 }, async () => {
  const tsc = join(repoRoot, 'node_modules', '.bin', 'tsc')
  const common = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--allowImportingTsExtensions', '--skipLibCheck', '--target', 'es2022']
  const run = (args: string[]) => promisify(execFile)(tsc, [...common, ...args], { cwd: repoRoot }).then(() => '', (error: { stdout?: string }) => error.stdout || String(error))
  expect(await run(['--lib', 'es2023,dom', 'test/unit/reconnecting-client/typed-contract.fixture.ts'])).toBe('')
  expect(await run(['--lib', 'es2023', '--types', 'node', 'src/client/index.ts'])).toBe('')
})
