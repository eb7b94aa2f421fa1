/**
 * One promise, already fulfilled, that synchronous work in a promise-returning API
 * hands back when it succeeded: awaiting it behaves as awaiting a fresh one, without a
 * promise (and an async function's machinery) per call on a hot path such as joining a
 * room in every open hook. A promise's state never changes once settled, so sharing it
 * is safe.
 */
export const RESOLVED: Promise<void> = Promise.resolve()
