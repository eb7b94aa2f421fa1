import { serve } from '../../dist/adapters/node.js'
import { app } from './portsocket-app.mjs'
import { exitWithParent, port } from './lifetime.mjs'
await serve(app, { port, hostname: '127.0.0.1' })
exitWithParent()
