import type { TestProject } from 'vitest/node'
import type { RuntimeName } from './capabilities.ts'
import { startFixture } from './runtimes.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    runtime: string
    baseUrl: string
  }
}

/** Starts the fixture in this project's runtime once, for all its test files. */
export default async function setup(project: TestProject) {
  const runtime = project.name as RuntimeName
  const fixture = await startFixture(runtime)
  project.provide('runtime', runtime)
  project.provide('baseUrl', fixture.baseUrl)
  return () => fixture.stop()
}
