import crossws from 'crossws/adapters/deno'
import { hooks } from './crossws-hooks.mjs'
import { exitWithParent, port } from './lifetime.mjs'
const ws = crossws({ hooks })
Deno.serve({ port, hostname: '127.0.0.1', onListen() {} }, (req, info) => {
  if (req.headers.get('upgrade') === 'websocket') return ws.handleUpgrade(req, info)
  return new Response('ok')
})
exitWithParent()
