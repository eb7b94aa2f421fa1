/**
 * Whether a response surely carries no headers, told without building them.
 *
 * @hono/node-server installs a lightweight global `Response` that keeps what it was made
 * with (status, body, headers init) in an array under a symbol until something needs
 * more; its `headers` getter builds undici's `Headers` then. An upgrade's placeholder
 * (`c.body(null, 200)` with no header set by middleware) is such a response with no
 * headers init, and building an empty `Headers` for it showed in profiles of Node opens
 * (about 200 bytes and undici's checks per upgrade). Reading the headers stores them in
 * the array and any other use of the response drops the array, so "an array whose headers
 * init is undefined" means none were given and none were read or set since.
 *
 * The array is internal to @hono/node-server. It is found once, from probe responses: the
 * symbol named `cache`, its shape, and that reading `headers` fills it. With any other
 * shape (another version, or no lightweight `Response` installed) this answers false, and
 * the headers are read as usual: slower, never different.
 */
export function carriesNoHeaders(response: Response): boolean {
  const key = (cacheKey ??= findCacheKey())
  if (key === null) return false
  const cache = (response as unknown as Record<symbol, unknown>)[key]
  return Array.isArray(cache) && cache.length === 3 && cache[2] === undefined
}

/** True when the lightweight response's cache is recognized (the tests pin it for the locked version). */
export function recognizesLightweightResponses(): boolean {
  return (cacheKey ??= findCacheKey()) !== null
}

// Found on first use, not at import: @hono/node-server installs its Response when the
// server is created, before any upgrade.
let cacheKey: symbol | null | undefined

function findCacheKey(): symbol | null {
  try {
    const plain = new Response(null, { status: 200 })
    const key = Object.getOwnPropertySymbols(plain).find((symbol) => symbol.description === 'cache')
    if (!key) return null
    const read = (response: Response) => (response as unknown as Record<symbol, unknown>)[key]
    const before = read(plain)
    if (!Array.isArray(before) || before.length !== 3 || before[2] !== undefined) return null
    // Reading the headers must leave them where this looks.
    void plain.headers
    const after = read(plain)
    if (!(after === undefined || (Array.isArray(after) && after[2] !== undefined))) return null
    // A response made with headers must show them.
    const given = read(new Response(null, { status: 200, headers: { 'x-probe': '1' } }))
    if (!Array.isArray(given) || given[2] === undefined) return null
    return key
  } catch {
    return null
  }
}
