import { describe, expect, it } from 'vitest'
import { answerDeflateOffer } from '../../src/http/extensions.ts'

describe('answerDeflateOffer', () => {
  it('accepts the first acceptable permessage-deflate offer with its parameters', () => {
    // What browsers and the ws client offer; workerd answers the same.
    expect(answerDeflateOffer('permessage-deflate; client_max_window_bits')).toBe('permessage-deflate; client_max_window_bits=15')
    expect(answerDeflateOffer('permessage-deflate')).toBe('permessage-deflate')
    expect(answerDeflateOffer('PerMessage-Deflate; Server_No_Context_Takeover; server_max_window_bits="10"')).toBe(
      'permessage-deflate; server_no_context_takeover; server_max_window_bits=10',
    )
    expect(answerDeflateOffer('x-webkit-deflate-frame, permessage-deflate; client_no_context_takeover')).toBe(
      'permessage-deflate; client_no_context_takeover',
    )
  })

  it('declines offers with unknown, repeated or out-of-range parameters, and falls through to the next', () => {
    expect(answerDeflateOffer('permessage-deflate; foo')).toBeUndefined()
    expect(answerDeflateOffer('permessage-deflate; client_max_window_bits=16')).toBeUndefined()
    expect(answerDeflateOffer('permessage-deflate; server_max_window_bits')).toBeUndefined()
    expect(answerDeflateOffer('permessage-deflate; server_no_context_takeover; server_no_context_takeover')).toBeUndefined()
    expect(answerDeflateOffer('permessage-deflate; server_no_context_takeover=1')).toBeUndefined()
    expect(answerDeflateOffer('permessage-deflate; foo, permessage-deflate')).toBe('permessage-deflate')
    expect(answerDeflateOffer('')).toBeUndefined()
    expect(answerDeflateOffer(null)).toBeUndefined()
  })
})
