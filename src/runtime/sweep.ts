/**
 * The policy timers of one runtime (heartbeats, idle timeouts, close timeouts, the
 * polling behind `drained()`) as ONE timer over its sockets, never one per socket. Each
 * member says when it next needs a look; the sweep sleeps until the earliest of those,
 * rounded up to a coarse grid so that sockets due at nearly the same time share a tick.
 */

/** A socket under the sweep's watch. */
export interface Swept {
  /** Runs the checks due at `now`; returns when it next needs a look (Infinity: never). */
  sweep(now: number): number
}

/** Where the sweep's single wake-up is set: a timer by default, an alarm on a Durable Object. */
export interface Clock {
  /** Wake the sweep at `at` (ms since the epoch), replacing any earlier request. */
  set(at: number, wake: () => void): void
  /** Cancel the pending wake-up. */
  clear(): void
}

/** The key under which a runtime keeps its sweep, out of its public API. */
export const sweepOf: unique symbol = Symbol('portsocket.sweep')

/** Ticks are rounded up to this grid, in ms. */
export const GRID = 25

/** The default clock: one `setTimeout`, unref'd where the runtime allows, so it never keeps a process alive. */
export function timerClock(): Clock {
  let timer: any
  return {
    set(at, wake) {
      if (timer !== undefined) clearTimeout(timer)
      timer = setTimeout(() => {
        timer = undefined
        wake()
      }, Math.max(0, at - Date.now()))
      timer?.unref?.()
    },
    clear() {
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
    },
  }
}

export class Sweep {
  /** Members the sweep watches in a set of the runtime's own (its open sockets): no second entry per socket. */
  readonly #watched: ReadonlySet<Swept>
  /** Other members (an adapter's own checks), and sockets added while not in `watched`. */
  readonly #members = new Set<Swept>()
  /** Watched members whose check threw: no longer looked at. */
  readonly #failed = new WeakSet<Swept>()
  /** Whether any member ever failed: until then a tick looks nothing up in `failed`. */
  #anyFailed = false
  #at = Infinity
  readonly #wake = () => this.tick()

  /**
   * `watched` is a set the owner keeps anyway (a runtime's open sockets): its members are
   * looked at without being added. A member leaves it before {@link delete} is called.
   */
  constructor(
    readonly clock: Clock = timerClock(),
    watched: ReadonlySet<Swept> = new Set(),
  ) {
    this.#watched = watched
  }

  /** How many members are watched. */
  get size(): number {
    return this.#watched.size + this.#members.size
  }

  /** Watches a member; `at` is when it first needs a look. */
  add(member: Swept, at: number): void {
    if (!this.#watched.has(member)) this.#members.add(member)
    this.schedule(at)
  }

  /** Stops watching; the clock stops with the last member. */
  delete(member: Swept): void {
    this.#members.delete(member)
    if (this.size || this.#at === Infinity) return
    this.#at = Infinity
    this.clock.clear()
  }

  /** Makes sure the sweep looks again no later than `at` (rounded up to the grid). */
  schedule(at: number): void {
    if (at === Infinity || !this.size) return
    const rounded = Math.ceil(at / GRID) * GRID
    if (rounded >= this.#at) return
    this.#at = rounded
    this.clock.set(rounded, this.#wake)
  }

  /** Runs every member's due checks and sleeps until the next one is due. */
  tick(now = Date.now()): void {
    this.#at = Infinity
    let next = Infinity
    // The sets are walked in place, not copied (a copy per tick is an array of every open
    // socket): a check that closes its socket deletes the member being visited, which a
    // Set's iteration allows, and no check adds one.
    for (const member of this.#watched) next = Math.min(next, this.#check(member, now))
    for (const member of this.#members) next = Math.min(next, this.#check(member, now))
    if (!this.size) return this.clock.clear()
    // Never spin: anything due now is looked at on the next grid step.
    this.schedule(Math.max(next, now + 1))
  }

  /** Runs one member's due checks: when it next needs a look (Infinity once it failed). */
  #check(member: Swept, now: number): number {
    if (this.#anyFailed && this.#failed.has(member)) return Infinity
    try {
      return member.sweep(now)
    } catch (error) {
      // One connection's failure (a transport that threw on ping) never stops the others.
      console.error('portsocket: a policy check failed:', error)
      if (!this.#members.delete(member)) {
        this.#failed.add(member)
        this.#anyFailed = true
      }
      return Infinity
    }
  }
}
