/** The Node servers run tsc's output (bench/tsconfig.json compiles them, and the src/ and adapters/ they import, into bench/.build/). */
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { root } from './processes.mjs'

export function buildNodeServers() {
  process.stdout.write('building the Node servers (tsc -p bench/tsconfig.json)... ')
  try {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'bench/tsconfig.json')], { cwd: root, stdio: 'pipe' })
    console.log('ok')
  } catch (error) {
    // Type errors still emit; a missing file does not, and the server start then says so.
    console.log('type errors (running what tsc emitted):')
    console.log(String(error.stdout ?? '').trim().split('\n').slice(0, 10).join('\n'))
  }
}
