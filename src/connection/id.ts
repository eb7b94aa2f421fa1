/**
 * Connection ids: random version 4 UUIDs, as `crypto.randomUUID()` makes them, but from
 * a pool of random bytes filled 256 ids at a time and written as one string. (Node's
 * `randomUUID` joins twenty pieces per id: about 600 bytes of garbage per connection,
 * the most any single step of an open allocated.)
 */
const IDS_PER_FILL = 256
const pool = new Uint8Array(16 * IDS_PER_FILL)
let next = pool.length
/** Char codes of the hex digits. */
const HEX = new Uint8Array([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102])
const DASH = 45

/** A new random UUID (version 4, RFC 9562), lower case. */
export function newId(): string {
  if (next === pool.length) {
    crypto.getRandomValues(pool)
    next = 0
  }
  const p = pool
  const o = next
  next += 16
  // The version nibble is 4 and the variant bits are 10, as in randomUUID.
  const b6 = (p[o + 6]! & 0x0f) | 0x40
  const b8 = (p[o + 8]! & 0x3f) | 0x80
  const h = HEX
  return String.fromCharCode(
    h[p[o]! >> 4]!, h[p[o]! & 15]!, h[p[o + 1]! >> 4]!, h[p[o + 1]! & 15]!, h[p[o + 2]! >> 4]!, h[p[o + 2]! & 15]!, h[p[o + 3]! >> 4]!, h[p[o + 3]! & 15]!, DASH,
    h[p[o + 4]! >> 4]!, h[p[o + 4]! & 15]!, h[p[o + 5]! >> 4]!, h[p[o + 5]! & 15]!, DASH,
    h[b6 >> 4]!, h[b6 & 15]!, h[p[o + 7]! >> 4]!, h[p[o + 7]! & 15]!, DASH,
    h[b8 >> 4]!, h[b8 & 15]!, h[p[o + 9]! >> 4]!, h[p[o + 9]! & 15]!, DASH,
    h[p[o + 10]! >> 4]!, h[p[o + 10]! & 15]!, h[p[o + 11]! >> 4]!, h[p[o + 11]! & 15]!, h[p[o + 12]! >> 4]!, h[p[o + 12]! & 15]!,
    h[p[o + 13]! >> 4]!, h[p[o + 13]! & 15]!, h[p[o + 14]! >> 4]!, h[p[o + 14]! & 15]!, h[p[o + 15]! >> 4]!, h[p[o + 15]! & 15]!,
  )
}
