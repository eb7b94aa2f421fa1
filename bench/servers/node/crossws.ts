// crossws's Node adapter on node:http.
import { createServer } from 'node:http'
import crossws from 'crossws/adapters/node'
import { hooks } from '../shared/crossws-hooks.ts'
import { hostname, port, ready } from '../shared/env.ts'

const ws = crossws({ hooks })
const server = createServer((req, res) => {
  res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'text/plain' }).end('ok')
})
server.on('upgrade', (req, socket, head) => ws.handleUpgrade(req, socket, head))
server.listen(port, hostname, () => ready('crossws node'))
