/** @internal A small typed listener registry (no EventTarget: it must run everywhere and stay typed). */
export class Listeners<M> {
  private map = new Map<keyof M, Set<(value: any) => void>>()

  add<K extends keyof M>(type: K, listener: (value: M[K]) => void): () => void {
    let set = this.map.get(type)
    if (!set) this.map.set(type, (set = new Set()))
    set.add(listener)
    return () => this.remove(type, listener)
  }

  remove<K extends keyof M>(type: K, listener: (value: M[K]) => void): void {
    this.map.get(type)?.delete(listener)
  }

  has(type: keyof M): boolean {
    return (this.map.get(type)?.size ?? 0) > 0
  }

  /**
   * Calls every listener of `type`. A listener that throws does not stop the others or
   * the client: its error goes to `onError` (or, if that is where it came from, is
   * rethrown asynchronously so it still shows up).
   */
  emit<K extends keyof M>(type: K, value: M[K], onError: (error: unknown) => void): void {
    const set = this.map.get(type)
    if (!set) return
    for (const listener of [...set]) {
      try {
        listener(value)
      } catch (error) {
        onError(error)
      }
    }
  }
}
