/**
 * Where RedisHub keeps things in Redis, all under one prefix (default `portsocket`).
 * The Lua scripts build the same names from the prefix (see scripts.ts); keep both in step.
 *
 * Keys:
 * - `<p>:instances`      ZSET  instance id → lease end (ms, Redis clock)
 * - `<p>:conns`          HASH  connection id → instance id
 * - `<p>:meta:<iid>`     HASH  connection id → JSON `{c: connectedAt, u: url, pr: protocol, r: rooms, p: presence}`
 * - `<p>:data:<iid>`     HASH  connection id → JSON of the connection's `data`
 * - `<p>:rooms:<iid>`    SET   rooms with at least one member on that instance
 * - `<p>:room:<room>`    HASH  connection id → instance id (the room's members)
 * - `<p>:count:<room>`   HASH  instance id → its member count in the room (for delivery counts)
 *
 * Channels:
 * - `<p>:ch:all`         every instance (deliveries to everyone)
 * - `<p>:ch:inst:<iid>`  one instance (deliveries to ids, update, disconnect, its own probe)
 * - `<p>:ch:room:<room>` instances with a local member in the room
 */
export interface Keys {
  readonly prefix: string
  readonly all: string
  instance(iid: string): string
  room(room: string): string
}

export function keys(prefix: string): Keys {
  return {
    prefix,
    all: `${prefix}:ch:all`,
    instance: (iid) => `${prefix}:ch:inst:${iid}`,
    room: (room) => `${prefix}:ch:room:${room}`,
  }
}
