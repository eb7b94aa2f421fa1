/** crossws's Cloudflare adapter with its Durable Object (hibernation API), as crossws documents it. */
import crossws from 'crossws/adapters/cloudflare'
import { DurableObject } from 'cloudflare:workers'
import { hooks } from '../shared/crossws-hooks.ts'

const ws = crossws({ bindingName: 'CROSSWS', instanceName: 'bench', hooks })

export default {
  async fetch(request: Request, env: unknown, ctx: unknown): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() === 'websocket') return ws.handleUpgrade(request, env as any, ctx as any)
    return new URL(request.url).pathname === '/health' ? new Response('ok') : new Response('not found', { status: 404 })
  },
}

export class CrosswsObject extends DurableObject {
  override fetch(request: Request): Promise<Response> {
    return ws.handleDurableUpgrade(this as any, request)
  }
  override webSocketMessage(client: WebSocket, message: string | ArrayBuffer): Promise<void> {
    return ws.handleDurableMessage(this as any, client as any, message)
  }
  override webSocketClose(client: WebSocket, code: number, reason: string, wasClean: boolean): Promise<void> {
    return ws.handleDurableClose(this as any, client as any, code, reason, wasClean)
  }
}
