import { request } from 'node:http'
import { randomBytes } from 'node:crypto'

/** What the server answered to an upgrade request, read off the wire. */
export interface HandshakeResult {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/**
 * Sends a WebSocket upgrade request by hand and reports the raw answer: the 101 with its
 * headers (the socket is then dropped), or the refusal with its headers and body. Unlike
 * a WebSocket client it accepts any answer, so tests can see exactly what was echoed.
 */
export function rawHandshake(url: string, headers: Record<string, string> = {}, timeoutMs = 5000): Promise<HandshakeResult> {
  const target = new URL(url.replace(/^ws/, 'http'))
  return new Promise((resolve, reject) => {
    const req = request(target, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        ...headers,
      },
    })
    const timer = setTimeout(() => {
      req.destroy()
      reject(new Error(`no answer to the handshake for ${url} within ${timeoutMs} ms`))
    }, timeoutMs)
    req.on('upgrade', (res, socket) => {
      clearTimeout(timer)
      socket.destroy()
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' })
    })
    req.on('response', (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => (body += chunk))
      res.on('end', () => {
        clearTimeout(timer)
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body })
      })
    })
    req.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    req.end()
  })
}
