/**
 * Serves the built portsocket/client modules (dist/src/client/*.js) to the page on Node,
 * Bun and Deno (all three have node:fs), whether this file runs from the sources
 * (examples/chat, under Bun or Deno) or from the build (dist/examples/chat).
 */
import { readFile } from 'node:fs/promises'

const here = import.meta.url
const dir = new URL(here.includes('/dist/examples/') ? '../../src/client/' : '../../dist/src/client/', here)

export async function clientFile(name: string): Promise<string | undefined> {
  try {
    return await readFile(new URL(name, dir), 'utf8')
  } catch {
    return undefined
  }
}
