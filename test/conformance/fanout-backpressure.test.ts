import { describe, it } from 'vitest'
import { expectSlowConsumerOutcome } from '../support/slow-consumer.ts'

// The slow-consumer cap on the fan-out path: a room send reaches a member through the
// runtime's fast path (Bun's native publish, Node's frame-once), which checks send
// buffers its own way; a member that stops reading must still be closed with 1013.
describe('slow consumer on a room send', () => {
  it('closes a room member whose send buffer passes the cap with 1013 (workerd: no visible buffer, no cap)', async () => {
    await expectSlowConsumerOutcome('/ws/perf/flood-room')
  })
})
