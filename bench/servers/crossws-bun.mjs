import crossws from 'crossws/adapters/bun'
import { hooks } from './crossws-hooks.mjs'
import { exitWithParent, port } from './lifetime.mjs'
const ws = crossws({ hooks })
Bun.serve({
  port,
  hostname: '127.0.0.1',
  websocket: ws.websocket,
  fetch(req, server) {
    if (req.headers.get('upgrade') === 'websocket') return ws.handleUpgrade(req, server)
    return new Response('ok')
  },
})
exitWithParent()
