import { serve } from 'portsocket/bun'
import { app } from './app.ts'

const server = await serve(app)
console.log(`portsocket example on Bun: http://localhost:${server.port}/`)
