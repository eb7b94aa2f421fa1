import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const srcDir = fileURLToPath(new URL('../../src', import.meta.url))

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

/**
 * The relative modules a file loads at run time: `import`/`export … from` statements,
 * leaving out `import type`, `export type` and imports whose every name is `type X`
 * (all erased by `verbatimModuleSyntax`).
 */
export function runtimeImports(file: string, text: string): string[] {
  const found: string[] = []
  const statement = /^\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s*['"](\.[^'"]+)['"]/gms
  for (const match of text.matchAll(statement)) {
    const [, , typeOnly, clause, spec] = match
    if (typeOnly) continue
    const names = /\{([^}]*)\}/.exec(clause!)
    const hasDefaultOrStar = clause!.replace(/\{[^}]*\}/, '').replace(/,/g, '').trim().length > 0
    if (names && !hasDefaultOrStar) {
      const specifiers = names[1]!.split(',').map((s) => s.trim()).filter(Boolean)
      if (specifiers.length > 0 && specifiers.every((s) => s.startsWith('type '))) continue
    }
    found.push(resolve(dirname(file), spec!))
  }
  // Side-effect imports: import './x.ts'
  for (const match of text.matchAll(/^\s*import\s+['"](\.[^'"]+)['"]/gm)) found.push(resolve(dirname(file), match[1]!))
  return found
}

function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>()
  const stack: string[] = []
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined
    if (state.get(node) === 'visiting') return [...stack.slice(stack.indexOf(node)), node]
    state.set(node, 'visiting')
    stack.push(node)
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next)
      if (cycle) return cycle
    }
    stack.pop()
    state.set(node, 'done')
    return undefined
  }
  for (const node of graph.keys()) {
    const cycle = visit(node)
    if (cycle) return cycle
  }
  return undefined
}

describe('module graph of src/', () => {
  it('has no import cycles at run time (type-only imports aside)', () => {
    const graph = new Map<string, string[]>()
    for (const file of sourceFiles(srcDir)) graph.set(file, runtimeImports(file, readFileSync(file, 'utf8')))
    expect(graph.size).toBeGreaterThan(10)
    const cycle = findCycle(graph)
    expect(cycle?.map((f) => relative(srcDir, f))).toBeUndefined()
  })

  it('the checker sees a cycle when there is one, and ignores type-only imports', () => {
    const a = '/x/a.ts'
    expect(runtimeImports(a, "import type { B } from './b.ts'\nimport { type C } from './c.ts'")).toEqual([])
    expect(runtimeImports(a, "import { b, type C } from './b.ts'\nexport { d } from './d.ts'")).toEqual(['/x/b.ts', '/x/d.ts'])
    const graph = new Map([
      ['/x/a.ts', ['/x/b.ts']],
      ['/x/b.ts', ['/x/c.ts']],
      ['/x/c.ts', ['/x/a.ts']],
    ])
    expect(findCycle(graph)).toEqual(['/x/a.ts', '/x/b.ts', '/x/c.ts', '/x/a.ts'])
  })
})
