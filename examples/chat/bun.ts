// npm run build && npx bun examples/chat/bun.ts
import { serve } from 'portsocket/bun'
import { createChatApp } from './app.ts'
import { clientFile } from './client-files.ts'
import { hubFromEnv } from './hub.ts'

const app = createChatApp({ clientFile })
const server = await serve(app, { hostname: process.env.HOST, hub: await hubFromEnv((name) => process.env[name]) })
console.log(`portsocket chat on Bun: http://localhost:${server.port}/ (admin: /admin)`)
process.once('SIGTERM', async () => {
  await server.close()
  process.exit(0)
})
