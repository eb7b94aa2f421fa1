// npm run build && npx bun examples/chat/bun.ts
import { serve } from '../../adapters/bun.ts'
import { createChatApp } from './app.ts'
import { clientFile } from './client-files.ts'

// REDIS_URL: see node.ts.
const app = createChatApp({ clientFile })
const server = await serve(app, { hostname: process.env.HOST })
console.log(`portsocket chat on Bun: http://localhost:${server.port}/ (admin: /admin)`)
process.once('SIGTERM', async () => {
  await server.close()
  process.exit(0)
})
