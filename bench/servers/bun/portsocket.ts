import { serve } from '../../../adapters/bun.ts'
import { app } from '../shared/portsocket-app.ts'
import { hostname, port, ready } from '../shared/env.ts'

await serve(app, { hostname, port })
ready('portsocket bun')
