/**
 * The server's answer to a client's `Sec-WebSocket-Extensions` offer of permessage-deflate
 * (RFC 7692 §7.1): the first offer whose parameters are all known and well-formed,
 * accepted with those parameters (a `client_max_window_bits` without a value becomes
 * `=15`), or undefined when no offer is acceptable. Used where the runtime compresses but
 * does not tell the server what it agreed to (workerd): the adapter answers the offer
 * itself, so `socket.extensions` is exactly what the client was told.
 */
export function answerDeflateOffer(header: string | null | undefined): string | undefined {
  if (!header) return undefined
  for (const offer of header.split(',')) {
    const [name, ...params] = offer.split(';').map((part) => part.trim())
    if (name?.toLowerCase() !== 'permessage-deflate') continue
    const answer = acceptOffer(params)
    if (answer !== undefined) return answer
  }
  return undefined
}

function acceptOffer(params: string[]): string | undefined {
  const answer = ['permessage-deflate']
  const seen = new Set<string>()
  for (const param of params) {
    const eq = param.indexOf('=')
    const key = (eq < 0 ? param : param.slice(0, eq)).trim().toLowerCase()
    let value = eq < 0 ? undefined : unquote(param.slice(eq + 1).trim())
    if (!key || seen.has(key)) return undefined
    seen.add(key)
    if (key === 'server_no_context_takeover' || key === 'client_no_context_takeover') {
      if (value !== undefined) return undefined
      answer.push(key)
    } else if (key === 'server_max_window_bits' || key === 'client_max_window_bits') {
      if (value === undefined) {
        if (key === 'server_max_window_bits') return undefined
        value = '15'
      }
      if (!/^(?:9|1[0-5])$/.test(value)) return undefined
      answer.push(`${key}=${value}`)
    } else {
      return undefined
    }
  }
  return answer.join('; ')
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value
}
