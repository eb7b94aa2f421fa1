import { createSocketObject, toWorker } from '../../dist/adapters/cloudflare.js'
import { app } from './portsocket-app.mjs'
export const Sockets = createSocketObject(app)
export default toWorker(app, { durableObject: 'SOCKETS' })
