/**
 * Times a connection keeps are stored relative to this process's start: whole
 * milliseconds since EPOCH are small integers for 24 days after start-up, which V8 keeps
 * in the object itself, where an epoch-based time is a double boxed in an object of its
 * own (16 bytes more per time per connection).
 */
export const EPOCH = Date.now()

/**
 * A time as whole milliseconds since EPOCH (`Math.floor` hands back a small integer
 * where `-` alone gives a double).
 */
export function sinceEpoch(time: number): number {
  return Math.floor(time - EPOCH)
}
