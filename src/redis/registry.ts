import type { ConnectionInfo, ServerSocket } from '../index.ts'
import { presenceOf } from './local.ts'

/** What the registry stores of a connection besides its data (JSON). */
interface Meta {
  c: number
  u: string
  pr: string
  r: string[]
  p: 0 | 1
  a?: string
}

export function metaOf(socket: ServerSocket<any>): string {
  const meta: Meta = { c: socket.connectedAt, u: socket.url, pr: socket.protocol, r: [...socket.rooms], p: presenceOf(socket) ? 1 : 0, a: socket.remoteAddress }
  return JSON.stringify(meta)
}

/** A connection's data as JSON ("null" for data JSON cannot carry). */
export function dataOf(data: unknown): string {
  try {
    return JSON.stringify(data) ?? 'null'
  } catch {
    return 'null'
  }
}

/** Reads the flat (iid, id, meta, data)* answer of the list, get and members scripts. */
export function parseEntries(reply: unknown, skipInstance: string): ConnectionInfo[] {
  const flat = Array.isArray(reply) ? (reply as unknown[]).map(String) : []
  const out: ConnectionInfo[] = []
  for (let i = 0; i + 3 < flat.length; i += 4) {
    const instanceId = flat[i]!
    if (instanceId === skipInstance) continue
    let meta: Meta
    let data: unknown
    try {
      meta = JSON.parse(flat[i + 2]!)
      data = JSON.parse(flat[i + 3]!)
    } catch {
      continue
    }
    out.push({ id: flat[i + 1]!, instanceId, connectedAt: meta.c, rooms: meta.r, data, url: meta.u, protocol: meta.pr, remoteAddress: meta.a ?? '' })
  }
  return out
}
