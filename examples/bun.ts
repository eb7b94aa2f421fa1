import { serve } from '../adapters/bun.ts'
import { app } from './app.ts'

const server = await serve(app)
console.log(`portsocket example on Bun: http://localhost:${server.port}/`)
