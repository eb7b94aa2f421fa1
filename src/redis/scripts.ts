import type { Connection } from './client.ts'

/**
 * The Lua scripts behind every registry read and write: each call is one round trip
 * and atomic. ARGV[1] is always the key prefix; key names follow keys.ts. Liveness
 * compares a lease with Redis's own clock (TIME), so instances' clocks never matter.
 */
const PRELUDE = `
local p = ARGV[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local alive = {}
local function live(iid)
  local known = alive[iid]
  if known ~= nil then return known end
  local s = redis.call('ZSCORE', p .. ':instances', iid)
  known = (s ~= false and s ~= nil and tonumber(s) >= now)
  alive[iid] = known
  return known
end
local function dataOf(iid, id)
  return redis.call('HGET', p .. ':data:' .. iid, id) or 'null'
end
-- Removes everything instance d wrote; with announce, members of presence routes
-- leave their rooms in front of the other members. Returns the connections removed.
local function reap(d, announce)
  local metas = redis.call('HGETALL', p .. ':meta:' .. d)
  for i = 1, #metas, 2 do
    local id = metas[i]
    if redis.call('HGET', p .. ':conns', id) == d then redis.call('HDEL', p .. ':conns', id) end
    local ok, meta = pcall(cjson.decode, metas[i + 1])
    if ok and type(meta) == 'table' and type(meta.r) == 'table' then
      for _, room in ipairs(meta.r) do
        redis.call('HDEL', p .. ':room:' .. room, id)
        redis.call('HDEL', p .. ':count:' .. room, d)
        if announce and meta.p == 1 then
          local r, m = cjson.encode(room), cjson.encode(id)
          local env = '{"type":"presence","data":{"room":' .. r .. ',"action":"leave","member":{"id":' .. m .. ',"data":' .. dataOf(d, id) .. '}}}'
          redis.call('PUBLISH', p .. ':ch:room:' .. room, '{"f":"","k":"r","room":' .. r .. ',"x":[' .. m .. ']}\\n' .. env)
        end
      end
    end
  end
  -- Members a lost write left behind.
  for _, room in ipairs(redis.call('SMEMBERS', p .. ':rooms:' .. d)) do
    redis.call('HDEL', p .. ':count:' .. room, d)
    local members = redis.call('HGETALL', p .. ':room:' .. room)
    for i = 1, #members, 2 do
      if members[i + 1] == d then redis.call('HDEL', p .. ':room:' .. room, members[i]) end
    end
  end
  redis.call('DEL', p .. ':meta:' .. d, p .. ':data:' .. d, p .. ':rooms:' .. d)
  redis.call('ZREM', p .. ':instances', d)
  return #metas / 2
end
`

const BODIES = {
  /** ARGV: p, iid, ttl, probe message. Renews the lease, probes the own channel, reaps dead instances. */
  heartbeat: `
local iid = ARGV[2]
local key = p .. ':instances'
local s = redis.call('ZSCORE', key, iid)
local lost = (not s) or tonumber(s) < now
redis.call('ZADD', key, now + tonumber(ARGV[3]), iid)
-- Should nobody be left to reap this instance, its own keys still go by themselves.
for _, kind in ipairs({'meta', 'data', 'rooms'}) do redis.call('PEXPIRE', p .. ':' .. kind .. ':' .. iid, 2 * tonumber(ARGV[3])) end
local heard = redis.call('PUBLISH', p .. ':ch:inst:' .. iid, ARGV[4])
local reaped = 0
for _, d in ipairs(redis.call('ZRANGEBYSCORE', key, '-inf', '(' .. now)) do
  reaped = reaped + reap(d, true)
end
return {lost and 1 or 0, heard, reaped}
`,
  /** ARGV: p, iid, ttl or ''. Drops everything the instance wrote; with a ttl, holds a fresh lease. */
  clear: `
reap(ARGV[2], false)
if ARGV[3] ~= '' then redis.call('ZADD', p .. ':instances', now + tonumber(ARGV[3]), ARGV[2]) end
return 1
`,
  /** ARGV: p, iid, id, meta, data or '', then (room, presence message or '')*. 0 when the lease is gone. */
  add: `
local iid, id = ARGV[2], ARGV[3]
if not live(iid) then return 0 end
redis.call('HSET', p .. ':conns', id, iid)
redis.call('HSET', p .. ':meta:' .. iid, id, ARGV[4])
if ARGV[5] ~= '' then redis.call('HSET', p .. ':data:' .. iid, id, ARGV[5]) end
for i = 6, #ARGV, 2 do
  local room = ARGV[i]
  if redis.call('HSET', p .. ':room:' .. room, id, iid) == 1 then redis.call('HINCRBY', p .. ':count:' .. room, iid, 1) end
  redis.call('SADD', p .. ':rooms:' .. iid, room)
  if ARGV[i + 1] ~= '' then redis.call('PUBLISH', p .. ':ch:room:' .. room, ARGV[i + 1]) end
end
return 1
`,
  /**
   * ARGV: p, iid, id, meta or '' (the connection ended), then (room, '1' when it was the
   * instance's last member there, presence message or '')*. 0 when the lease is gone.
   */
  remove: `
local iid, id = ARGV[2], ARGV[3]
if not live(iid) then return 0 end
if ARGV[4] == '' then
  if redis.call('HGET', p .. ':conns', id) == iid then redis.call('HDEL', p .. ':conns', id) end
  redis.call('HDEL', p .. ':meta:' .. iid, id)
  redis.call('HDEL', p .. ':data:' .. iid, id)
else
  redis.call('HSET', p .. ':meta:' .. iid, id, ARGV[4])
end
for i = 5, #ARGV, 3 do
  local room = ARGV[i]
  if redis.call('HDEL', p .. ':room:' .. room, id) == 1 then
    if redis.call('HINCRBY', p .. ':count:' .. room, iid, -1) <= 0 then redis.call('HDEL', p .. ':count:' .. room, iid) end
  end
  if ARGV[i + 1] == '1' then redis.call('SREM', p .. ':rooms:' .. iid, room) end
  if ARGV[i + 2] ~= '' then redis.call('PUBLISH', p .. ':ch:room:' .. room, ARGV[i + 2]) end
end
return 1
`,
  /** ARGV: p, iid, id, data. Rewrites a local connection's data. */
  setData: `
if not live(ARGV[2]) then return 0 end
if redis.call('HEXISTS', p .. ':meta:' .. ARGV[2], ARGV[3]) == 0 then return 0 end
redis.call('HSET', p .. ':data:' .. ARGV[2], ARGV[3], ARGV[4])
return 1
`,
  /** ARGV: p. Flat list of (iid, id, meta, data) on live instances. */
  list: `
local out = {}
for _, iid in ipairs(redis.call('ZRANGEBYSCORE', p .. ':instances', now, '+inf')) do
  local metas = redis.call('HGETALL', p .. ':meta:' .. iid)
  for i = 1, #metas, 2 do
    out[#out + 1] = iid
    out[#out + 1] = metas[i]
    out[#out + 1] = metas[i + 1]
    out[#out + 1] = dataOf(iid, metas[i])
  end
end
return out
`,
  /** ARGV: p, id. (iid, id, meta, data) or an empty list. */
  get: `
local id = ARGV[2]
local iid = redis.call('HGET', p .. ':conns', id)
if not iid or not live(iid) then return {} end
local meta = redis.call('HGET', p .. ':meta:' .. iid, id)
if not meta then return {} end
return {iid, id, meta, dataOf(iid, id)}
`,
  /** ARGV: p, room. Flat list of (iid, id, meta, data) of the members on live instances. */
  members: `
local out = {}
local members = redis.call('HGETALL', p .. ':room:' .. ARGV[2])
for i = 1, #members, 2 do
  local id, iid = members[i], members[i + 1]
  if live(iid) then
    local meta = redis.call('HGET', p .. ':meta:' .. iid, id)
    if meta then
      out[#out + 1] = iid
      out[#out + 1] = id
      out[#out + 1] = meta
      out[#out + 1] = dataOf(iid, id)
    end
  end
end
return out
`,
  /** ARGV: p. The rooms with a member on a live instance. */
  rooms: `
local seen, out = {}, {}
for _, iid in ipairs(redis.call('ZRANGEBYSCORE', p .. ':instances', now, '+inf')) do
  for _, room in ipairs(redis.call('SMEMBERS', p .. ':rooms:' .. iid)) do
    if not seen[room] then
      seen[room] = true
      out[#out + 1] = room
    end
  end
end
return out
`,
  /** ARGV: p, from, id, data. Rewrites a remote connection's data and tells its instance; 1 if it is connected. */
  update: `
local id = ARGV[3]
local iid = redis.call('HGET', p .. ':conns', id)
if not iid or iid == ARGV[2] or not live(iid) then return 0 end
if redis.call('HEXISTS', p .. ':meta:' .. iid, id) == 0 then return 0 end
redis.call('HSET', p .. ':data:' .. iid, id, ARGV[4])
redis.call('PUBLISH', p .. ':ch:inst:' .. iid, '{"f":' .. cjson.encode(ARGV[2]) .. ',"k":"u","id":' .. cjson.encode(id) .. '}\\n' .. ARGV[4])
return 1
`,
  /** ARGV: p, from, id, code, reason. Asks a remote connection's instance to close it; 1 if it is connected. */
  disconnect: `
local id = ARGV[3]
local iid = redis.call('HGET', p .. ':conns', id)
if not iid or iid == ARGV[2] or not live(iid) then return 0 end
local header = '{"f":' .. cjson.encode(ARGV[2]) .. ',"k":"d","id":' .. cjson.encode(id) .. ',"c":' .. tonumber(ARGV[4]) .. ',"r":' .. cjson.encode(ARGV[5]) .. '}'
if redis.call('PUBLISH', p .. ':ch:inst:' .. iid, header .. '\\n') > 0 then return 1 end
return 0
`,
  /**
   * ARGV: p, from, binary (0 or 1), payload, ids... One publish per owning instance.
   * Returns {delivered, {missing ids}}: ids on no live instance, or on one whose
   * subscriber is gone, are missing.
   */
  sendIds: `
local from = ARGV[2]
local groups, order, missing = {}, {}, {}
for i = 5, #ARGV do
  local id = ARGV[i]
  local iid = redis.call('HGET', p .. ':conns', id)
  if iid and iid ~= from and live(iid) then
    if not groups[iid] then
      groups[iid] = {}
      order[#order + 1] = iid
    end
    table.insert(groups[iid], id)
  else
    missing[#missing + 1] = id
  end
end
local delivered = 0
for _, iid in ipairs(order) do
  local ids = groups[iid]
  local header = '{"f":' .. cjson.encode(from) .. ',"k":"i","b":' .. ARGV[3] .. ',"ids":' .. cjson.encode(ids) .. '}'
  if redis.call('PUBLISH', p .. ':ch:inst:' .. iid, header .. '\\n' .. ARGV[4]) > 0 then
    delivered = delivered + #ids
  else
    for _, id in ipairs(ids) do missing[#missing + 1] = id end
  end
end
return {delivered, missing}
`,
  /**
   * ARGV: p, from, then per frame (batch.ts): kind ('r' room, 'a' all), room ('' for all),
   * frame, number of deliveries n, number k of those with ids left out, then k times
   * (index in the frame from 1, number of ids, ids...). Returns per frame: the count of
   * recipients on other live instances, k, then k times (index, count). A room's count
   * comes from the per-instance counts (O(instances + except), not O(members)). A frame
   * is published when any of its deliveries has recipients there.
   */
  sendBatch: `
local from = ARGV[2]
local out = {}
local i = 3
while i <= #ARGV do
  local kind, room, message, n, k = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4])
  i = i + 5
  local base = 0
  if kind == 'r' then
    local counts = redis.call('HGETALL', p .. ':count:' .. room)
    for j = 1, #counts, 2 do
      if counts[j] ~= from and live(counts[j]) then base = base + tonumber(counts[j + 1]) end
    end
  else
    for _, iid in ipairs(redis.call('ZRANGEBYSCORE', p .. ':instances', now, '+inf')) do
      if iid ~= from then base = base + redis.call('HLEN', p .. ':meta:' .. iid) end
    end
  end
  out[#out + 1] = base
  out[#out + 1] = k
  local any = base > 0 and k < n
  for _ = 1, k do
    local index, nx = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
    local count = base
    local seen = {}
    for j = i + 2, i + 1 + nx do
      local id = ARGV[j]
      if not seen[id] then
        seen[id] = true
        if kind == 'r' then
          local iid = redis.call('HGET', p .. ':room:' .. room, id)
          if iid and iid ~= from and live(iid) then count = count - 1 end
        else
          local iid = redis.call('HGET', p .. ':conns', id)
          if iid and iid ~= from and live(iid) and redis.call('HEXISTS', p .. ':meta:' .. iid, id) == 1 then count = count - 1 end
        end
      end
    end
    i = i + 2 + nx
    out[#out + 1] = index
    out[#out + 1] = count
    if count > 0 then any = true end
  end
  if any then redis.call('PUBLISH', kind == 'r' and (p .. ':ch:room:' .. room) or (p .. ':ch:all'), message) end
end
return out
`,
} as const

export type ScriptName = keyof typeof BODIES

const SOURCES = Object.fromEntries(Object.entries(BODIES).map(([name, body]) => [name, PRELUDE + body])) as Record<ScriptName, string>

/**
 * Runs the scripts with EVALSHA, in the order the calls are made.
 *
 * A script Redis does not know answers NOSCRIPT, and a retry with EVAL reaches Redis
 * behind every call sent meanwhile: a send to ids whose script was not loaded yet would
 * arrive after room sends made later, whose script was. So before the first call on a
 * connection, and again whenever it reconnects (a restarted Redis has an empty script
 * cache), every script is loaded with SCRIPT LOAD, sent just ahead of that call on the
 * same connection: Redis runs one connection's commands in order, so no later call can
 * find its script missing and nothing waits for a round trip. The EVAL fallback stays
 * for a cache emptied under a live connection (SCRIPT FLUSH) and for calls that were in
 * flight when Redis went down; those are the only ones that can be overtaken.
 */
export class Scripts {
  readonly #shas: Promise<Record<ScriptName, string>>
  /** The connection the scripts are known to be loaded on, until it reconnects. */
  #loadedOn: Connection | undefined
  readonly #watched = new WeakSet<Connection>()

  constructor(readonly prefix: string) {
    this.#shas = (async () => {
      const entries = await Promise.all(Object.entries(SOURCES).map(async ([name, source]) => [name, await sha1(source)]))
      return Object.fromEntries(entries)
    })()
  }

  async run(connection: Connection, name: ScriptName, args: readonly string[]): Promise<unknown> {
    // Every call waits on the same digest promise, so calls stay in the order they were made.
    const shas = await this.#shas
    if (this.#loadedOn !== connection) this.#load(connection)
    const argv = [this.prefix, ...args]
    try {
      return await connection.command(['EVALSHA', shas[name], '0', ...argv])
    } catch (error) {
      if (!String((error as Error)?.message ?? error).includes('NOSCRIPT')) throw error
      // Loaded again ahead of the next call; this one goes with its source.
      if (this.#loadedOn === connection) this.#loadedOn = undefined
      return connection.command(['EVAL', SOURCES[name], '0', ...argv])
    }
  }

  /** Queues SCRIPT LOAD of every script on `connection`, ahead of whatever is sent next. */
  #load(connection: Connection): void {
    if (!this.#watched.has(connection)) {
      this.#watched.add(connection)
      connection.onReady(() => {
        if (this.#loadedOn === connection) this.#loadedOn = undefined
      })
    }
    this.#loadedOn = connection
    for (const source of Object.values(SOURCES)) {
      connection.command(['SCRIPT', 'LOAD', source]).catch(() => {
        // The connection failed (the call behind it fails too and is reported): load again next time.
        if (this.#loadedOn === connection) this.#loadedOn = undefined
      })
    }
  }
}

async function sha1(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(text))
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}
