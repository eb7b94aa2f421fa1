import { serve } from 'portsocket/deno'
import { app } from './app.ts'

const server = await serve(app)
console.log(`portsocket example on Deno: http://localhost:${server.port}/`)
