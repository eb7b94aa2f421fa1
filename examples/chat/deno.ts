// npm run build && npx deno run -A examples/chat/deno.ts
import { serve } from 'portsocket/deno'
import { createChatApp } from './app.ts'
import { clientFile } from './client-files.ts'
import { hubFromEnv } from './hub.ts'

declare const Deno: {
  env: { get(name: string): string | undefined }
  addSignalListener(signal: 'SIGTERM', handler: () => void): void
  exit(code: number): never
}

const app = createChatApp({ clientFile })
const server = await serve(app, { hostname: Deno.env.get('HOST'), hub: await hubFromEnv((name) => Deno.env.get(name)) })
console.log(`portsocket chat on Deno: http://localhost:${server.port}/ (admin: /admin)`)
Deno.addSignalListener('SIGTERM', async () => {
  await server.close()
  Deno.exit(0)
})
