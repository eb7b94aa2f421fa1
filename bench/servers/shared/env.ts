/** Where a benchmark server listens: PORT from the orchestrator, always on loopback. */
const g = globalThis as any
/** An environment variable, on Node, Bun and Deno alike. */
export const read = (name: string): string | undefined => (g.Deno ? g.Deno.env.get(name) : g.process?.env?.[name])

export const port = Number(read('PORT') ?? 3000)
export const hostname = '127.0.0.1'

/** Tells the orchestrator the server is up (it also polls GET /health). */
export function ready(what: string): void {
  console.log(`${what} listening on http://${hostname}:${port}`)
}
