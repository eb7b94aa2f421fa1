// A raw Deno server, no portsocket: echoes every message (evidence for README.md, "Protocol edges").
Deno.serve({ port: 18121, hostname: '127.0.0.1', onListen() {} }, (req) => {
  const { socket, response } = Deno.upgradeWebSocket(req)
  socket.onmessage = (e) => socket.send(e.data)
  return response
})
