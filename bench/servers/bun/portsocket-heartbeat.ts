import { serve } from '../../../adapters/bun.ts'
import { app, watchStalls } from '../shared/heartbeat-app.ts'
import { hostname, port, ready } from '../shared/env.ts'

await serve(app, { hostname, port })
watchStalls()
ready('portsocket heartbeat bun')
