import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { repoRoot } from '../support/runtimes.ts'

const work = mkdtempSync(join(tmpdir(), 'portsocket-hub-contract-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

/**
 * A hub written by a third party against the published declarations (dist/, as `npm run
 * build` makes it for the package) compiles under `strict` with `skipLibCheck: false`,
 * and runs: `serve(app, { hub })` binds it, attaches and detaches sockets through it,
 * and closes it last.
 */
it('a third-party Hub compiles against the published .d.ts (strict, skipLibCheck false) and runs', () => {
  expect(existsSync(join(repoRoot, 'dist/src/index.d.ts'))).toBe(true) // npm test builds first
  mkdirSync(join(work, 'node_modules'))
  symlinkSync(repoRoot, join(work, 'node_modules', 'portsocket'), 'dir')
  for (const dep of ['hono', 'ws', '@types', '@standard-schema']) {
    const parent = join(work, 'node_modules', dep.includes('/') ? dep.split('/')[0]! : '')
    mkdirSync(parent, { recursive: true })
    symlinkSync(join(repoRoot, 'node_modules', dep), join(work, 'node_modules', dep), 'dir')
  }
  writeFileSync(join(work, 'package.json'), JSON.stringify({ type: 'module', private: true }))
  for (const file of ['counting-hub.ts', 'main.ts']) copyFileSync(join(repoRoot, 'test/hub-contract', file), join(work, file))
  writeFileSync(
    join(work, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2023', 'DOM', 'DOM.Iterable'],
        types: ['node', 'ws'],
        strict: true,
        skipLibCheck: false,
        outDir: 'out',
      },
      files: ['counting-hub.ts', 'main.ts'],
    }),
  )
  const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc')
  try {
    execFileSync(process.execPath, [tsc, '-p', work], { cwd: work, encoding: 'utf8', stdio: 'pipe' })
  } catch (error) {
    throw new Error(`the third-party hub did not compile:\n${(error as { stdout?: string }).stdout}`)
  }
  const output = execFileSync(process.execPath, [join(work, 'out/main.js')], { cwd: work, encoding: 'utf8', timeout: 15_000 })
  const result = JSON.parse(output.trim().split('\n').at(-1)!)
  expect(result.echoed).toBe('through the hub')
  expect(result.calls).toMatchObject({ bind: 1, attach: 1, join: 1, send: 1, detach: 1, close: 1 })
  expect(result.seenOptions).toEqual([{ presence: true, maxRooms: 5 }])
}, 60_000)
