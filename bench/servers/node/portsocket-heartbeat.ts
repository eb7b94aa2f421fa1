import { serve } from '../../../adapters/node.ts'
import { app, watchStalls } from '../shared/heartbeat-app.ts'
import { hostname, port, ready } from '../shared/env.ts'

await serve(app, { hostname, port })
watchStalls()
ready('portsocket heartbeat node')
