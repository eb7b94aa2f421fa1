import { inject } from 'vitest'
import type { RuntimeName } from './capabilities.ts'
import { capabilities } from './capabilities.ts'

/** The runtime this project runs the suite against, and where its fixture listens. */
export const runtime = inject('runtime') as RuntimeName
export const baseUrl = inject('baseUrl') as string
export const can = capabilities[runtime]

/** The ws:// URL of a fixture path. */
export function wsUrl(path: string): string {
  return baseUrl.replace(/^http/, 'ws') + path
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
