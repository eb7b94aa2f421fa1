// Rewrites `./x.ts` to `./x.js` in the emitted declarations under dist/.
//
// The sources import siblings as `./x.ts` and tsc's `rewriteRelativeImportExtensions`
// rewrites those specifiers in the JavaScript it emits, but not in the `.d.ts` files
// (TypeScript leaves declaration specifiers as written). A published `.d.ts` that
// imports `./x.ts` names a file the package does not ship: Deno reports every such
// import, and TypeScript resolves it only by accident. `.ts` and `.js` have the same
// length, so the declaration maps stay exact.
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

const root = new URL('../dist/', import.meta.url).pathname
const specifier = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"\n]*?)\.ts\2/g

let files = 0
let rewritten = 0
for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue
  const path = join(entry.parentPath ?? entry.path, entry.name)
  const text = await readFile(path, 'utf8')
  let count = 0
  const fixed = text.replace(specifier, (_, lead, quote, base) => {
    count++
    return `${lead}${quote}${base}.js${quote}`
  })
  files++
  if (count) {
    rewritten += count
    await writeFile(path, fixed)
  }
}
console.log(`declaration-imports: ${rewritten} specifiers rewritten in ${files} .d.ts files`)
