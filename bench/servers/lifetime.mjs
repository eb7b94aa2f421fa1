// Ends a benchmark server when the orchestrator goes away (its stdin closes), on any runtime.
export async function exitWithParent() {
  if (globalThis.Deno) {
    const buf = new Uint8Array(64)
    while ((await globalThis.Deno.stdin.read(buf)) !== null) {}
    globalThis.Deno.exit(0)
  }
  process.stdin.on('data', () => {})
  process.stdin.on('end', () => process.exit(0))
  process.stdin.on('close', () => process.exit(0))
}

export const port = Number((globalThis.Deno ? globalThis.Deno.env.get('PORT') : process.env.PORT) ?? 3000)
