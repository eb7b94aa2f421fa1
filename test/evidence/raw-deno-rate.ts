// A raw Deno server, no portsocket: closes with 1008 on the 6th message (evidence for the
// rate-limit-under-a-flood row in README.md: a client sending 20 at once mostly sees 1006).
Deno.serve({ port: 18120, hostname: '127.0.0.1', onListen() {} }, (req) => {
  const { socket, response } = Deno.upgradeWebSocket(req)
  let n = 0
  socket.onmessage = (e) => {
    n++
    if (n <= 5) socket.send(e.data)
    else if (n === 6) socket.close(1008, 'rate limit exceeded')
    else console.log('message after close', n, socket.readyState)
  }
  socket.onclose = (e) => console.log('server close event', e.code, e.wasClean)
  return response
})
