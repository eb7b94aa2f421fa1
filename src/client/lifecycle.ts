/** Something with `addEventListener` (a browser `window` or `document`). */
export interface EventSourceLike {
  addEventListener(type: string, listener: () => void): void
  removeEventListener(type: string, listener: () => void): void
}

/** Where the client hears that reconnecting now is worth it. */
export interface LifecycleOptions {
  /** Fires `online` and `pageshow`. Default: the browser's `window`. */
  window?: EventSourceLike
  /** Fires `visibilitychange` and has `visibilityState`. Default: the browser's `document`. */
  document?: EventSourceLike & { visibilityState?: string }
}

/**
 * @internal Calls `wake` when the browser comes back online, a page is shown again (back
 * from the bfcache) or becomes visible: the moments a waiting retry should happen now.
 * Returns the function that stops listening.
 */
export function watchLifecycle(options: LifecycleOptions | false | undefined, wake: () => void): () => void {
  if (options === false) return () => {}
  const g = globalThis as { window?: EventSourceLike; document?: EventSourceLike & { visibilityState?: string } }
  const win = options?.window ?? (g.document ? g.window : undefined)
  const doc = options?.document ?? g.document
  const onVisible = () => {
    if (doc?.visibilityState === undefined || doc.visibilityState === 'visible') wake()
  }
  win?.addEventListener('online', wake)
  win?.addEventListener('pageshow', wake)
  doc?.addEventListener('visibilitychange', onVisible)
  return () => {
    win?.removeEventListener('online', wake)
    win?.removeEventListener('pageshow', wake)
    doc?.removeEventListener('visibilitychange', onVisible)
  }
}
