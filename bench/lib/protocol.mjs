/**
 * The line protocol between the runner (run.mjs, through lib/scenario.mjs) and the load
 * client (load.mjs): one JSON object per line on the client's stdout, one command per
 * line on its stdin. Both sides import this file, and the client refuses a spec whose
 * `protocol` differs, so the two cannot drift apart silently.
 *
 * Client -> runner (stdout), `event` field:
 *   hello   {protocol, client}           first line, before connecting
 *   ready   {sockets}                    connected (and settled); waiting for `start`/`open`
 *   mark    {count}                      reply to `mark`: deliveries (or round trips) so far
 *   batch   {batch}                      fan-out with several client processes: this
 *                                        process has every delivery of the batch
 *   opened  {connections}                idle: reply to `open N`
 *   done    {p50, p99}                   reply to `stop` (latencies for echo), then exits
 *   error   {message}                    anything failed; the client exits
 *
 * Runner -> client (stdin): `start`, `mark`, `next` (start the next fan-out batch),
 * `open N` (idle: hold N connections from this process), `stop`.
 *
 * Since 4: scenario `cross` (the chat over several instances of one app): the spec may
 * carry `urls` (member i connects to urls[i % urls.length]) and `socketio` (members are
 * socket.io-client connections; a text is a "message" event).
 */
export const PROTOCOL = 4

export const SCENARIOS = ['idle', 'chat', 'echo', 'room', 'cross']

/** The i-th of `total` items that load process `index` of `procs` owns. */
export const owned = (total, index, procs) => Array.from({ length: total }, (_, i) => i).filter((i) => i % procs === index)
