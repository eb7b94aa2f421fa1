import { createServer } from 'node:http'
import crossws from 'crossws/adapters/node'
import { hooks } from './crossws-hooks.mjs'
import { exitWithParent, port } from './lifetime.mjs'
const ws = crossws({ hooks })
const server = createServer((req, res) => res.end('ok'))
server.on('upgrade', (req, socket, head) => ws.handleUpgrade(req, socket, head))
server.listen(port, '127.0.0.1')
exitWithParent()
