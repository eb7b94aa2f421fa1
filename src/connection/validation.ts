import type { StandardSchemaV1 } from '@standard-schema/spec'

/** One problem with an event's data, as the client is told: a message and where. */
export interface ValidationIssue {
  message: string
  path: (string | number)[]
}

/**
 * Reported to the error hook when an `events` entry's schema rejects the envelope's
 * `data`. The connection stays open unless the route says `invalidEvents: 'close'`.
 */
export class ValidationError extends Error {
  override readonly name = 'ValidationError'
  constructor(
    /** The envelope type whose data was invalid. */
    readonly event: string,
    /** What the schema found wrong. */
    readonly issues: ValidationIssue[],
  ) {
    super(`invalid data for event ${JSON.stringify(event)}: ${issues.map((i) => i.message).join('; ')}`)
  }
}

/** The outcome of a validation: the schema's output, or its issues. */
export type Checked = { ok: true; value: unknown } | { ok: false; issues: ValidationIssue[] }

/** Validates with any Standard Schema v1; a promise only when the schema is async. */
export function validate(schema: StandardSchemaV1, value: unknown): Checked | Promise<Checked> {
  const result = schema['~standard'].validate(value)
  if (result instanceof Promise) return result.then(toChecked)
  return toChecked(result)
}

function toChecked(result: StandardSchemaV1.Result<unknown>): Checked {
  if (!result.issues) return { ok: true, value: result.value }
  return { ok: false, issues: result.issues.map(toIssue) }
}

function toIssue(issue: StandardSchemaV1.Issue): ValidationIssue {
  const path = (issue.path ?? []).map((segment) => {
    const key = typeof segment === 'object' && segment !== null ? segment.key : segment
    return typeof key === 'number' ? key : String(key)
  })
  return { message: String(issue.message), path }
}
