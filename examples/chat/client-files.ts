/**
 * Serves the built portsocket/client modules to the page on Node, Bun and Deno (all
 * three have node:fs). `dir` is the folder holding index.js, client.js, … (dist/src/client).
 */
import { readFile } from 'node:fs/promises'

export function clientFiles(dir: URL): (name: string) => Promise<string | undefined> {
  return async (name) => {
    try {
      return await readFile(new URL(name, dir), 'utf8')
    } catch {
      return undefined
    }
  }
}
