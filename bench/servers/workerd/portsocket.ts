import { createSocketObject, toWorker } from '../../../adapters/cloudflare.ts'
import { app } from '../shared/portsocket-app.ts'

export const PortsocketObject = createSocketObject(app)
export default toWorker(app, { durableObject: 'SOCKETS' })
