// A bare Deno.serve, no portsocket, no Hono: the request URL a handler sees for a target
// with dot segments, an escape and a `"`, and a Host in mixed case (evidence for the
// "Its URL" row of README.md's capability table).
// `deno run -A test/evidence/raw-deno-url.ts` printed, on Deno 2.9.5:
//   http://LocalHost:<port>/a/./b/../c%41d"e?q=%20x
// (Node's and Bun's servers, and workerd, hand on http://localhost:<port>/a/c%41d%22e?q=%20x.)
const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, (request) => new Response(request.url))
const conn = await Deno.connect({ port: server.addr.port, hostname: '127.0.0.1' })
const head = `GET /a/./b/../c%41d"e?q=%20x HTTP/1.1\r\nHost: LocalHost:${server.addr.port}\r\nConnection: close\r\n\r\n`
await conn.write(new TextEncoder().encode(head))
const buffer = new Uint8Array(4096)
const n = await conn.read(buffer)
console.log(new TextDecoder().decode(buffer.subarray(0, n ?? 0)).split('\r\n\r\n')[1])
conn.close()
await server.shutdown()
