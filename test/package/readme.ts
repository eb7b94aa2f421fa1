/**
 * The README's code, as files: each fenced ```ts block starts with a `// name.ts` comment
 * that names the file it is, and the ```json block holding "compilerOptions" is the
 * tsconfig the README tells users to write. The package test compiles and runs exactly
 * these, so the README cannot drift from what works.
 */
import { readFileSync } from 'node:fs'

export interface ReadmeCode {
  /** File name → contents, one per ```ts block. */
  files: Map<string, string>
  /** The README's tsconfig.json. */
  tsconfig: string
}

const FENCE = /^```(\w+)[^\n]*\n([\s\S]*?)^```\s*$/gm
const FILE_NAME = /^\/\/ ([\w.-]+\.ts)\b/

export function readmeCode(readmePath: string): ReadmeCode {
  const text = readFileSync(readmePath, 'utf8')
  const files = new Map<string, string>()
  let tsconfig: string | undefined
  for (const [, lang, body] of text.matchAll(FENCE)) {
    if (lang === 'ts') {
      const name = FILE_NAME.exec(body!)?.[1]
      if (!name) throw new Error(`README: a \`\`\`ts block does not start with "// <file>.ts":\n${body!.slice(0, 200)}`)
      if (files.has(name)) throw new Error(`README: two \`\`\`ts blocks are both ${name}`)
      files.set(name, body!)
    } else if (lang === 'json' && body!.includes('"compilerOptions"')) {
      if (tsconfig !== undefined) throw new Error('README: more than one tsconfig (```json with "compilerOptions")')
      tsconfig = body!
    }
  }
  if (tsconfig === undefined) throw new Error('README: no tsconfig (```json block with "compilerOptions")')
  return { files, tsconfig }
}
