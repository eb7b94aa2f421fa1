import type { TestProject } from 'vitest/node'
import { runtimeNames, startFixture, type RuntimeName } from './runtimes.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The runtime a conformance project runs against (its `provide.runtime`). */
    runtime: string
    /** Where that project's fixture listens: http://127.0.0.1:PORT */
    baseUrl: string
  }
}

/**
 * vitest globalSetup of a runtime project: starts the fixture once for all the project's
 * test files, provides its `baseUrl`, and stops it (the whole process tree) at the end.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runtime = (project.config.provide?.runtime ?? project.name) as RuntimeName
  if (!runtimeNames.includes(runtime)) {
    throw new Error(`project "${project.name}" names no runtime: set provide.runtime to one of ${runtimeNames.join(', ')}`)
  }
  const fixture = await startFixture(runtime)
  project.provide('runtime', runtime)
  project.provide('baseUrl', fixture.baseUrl)
  return async () => {
    const { exitCode, signalCode } = fixture.process
    await fixture.stop()
    // A fixture that died mid-run makes every later test fail with ECONNREFUSED: say why.
    if (exitCode !== null || signalCode !== null) {
      throw new Error(`the ${runtime} fixture exited during the run (${signalCode ? `signal ${signalCode}` : `code ${exitCode}`}); its output:\n${fixture.output()}`)
    }
  }
}
