import { randomUUID } from 'node:crypto'

/** An entry the fixture's hooks recorded under a tag (see test/fixture/app.ts). */
export type LogEntry = { event: string; route: string; [key: string]: unknown }

/** A fresh tag, so each test reads only its own connections' log. */
export function newTag(): string {
  return randomUUID().slice(0, 12)
}

/** The fixture's log for `tag`. */
export async function readLog(baseUrl: string, tag: string): Promise<LogEntry[]> {
  const res = await fetch(`${baseUrl}/log/${tag}`)
  if (!res.ok) throw new Error(`GET /log/${tag} answered ${res.status}`)
  return (await res.json()) as LogEntry[]
}

/** Polls the log until `match` finds an entry; fails with the whole log on timeout. */
export async function waitForLog(
  baseUrl: string,
  tag: string,
  match: (entry: LogEntry) => boolean,
  timeoutMs = 5000,
): Promise<LogEntry> {
  const deadline = Date.now() + timeoutMs
  let log: LogEntry[] = []
  while (Date.now() < deadline) {
    log = await readLog(baseUrl, tag)
    const hit = log.find(match)
    if (hit) return hit
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`no matching log entry within ${timeoutMs} ms; log: ${JSON.stringify(log)}`)
}
