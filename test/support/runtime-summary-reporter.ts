import type { Reporter, TestModule, TestProject, Vitest } from 'vitest/node'

interface Counts {
  passed: number
  failed: number
  skipped: number
  /** Test files that failed outside any test (import error, failing hook at file level). */
  brokenFiles: number
}

/**
 * After the run, one line per project — `conformance node: 12 passed, 0 failed, 1 skipped`
 * (`unit: …` and `package: …` for those projects) — then the total over all projects, alone on a line:
 * `N passed, M failed`. A test file that failed without a failed test (it could not be
 * imported, say) counts as one failure, so a broken file never shows as "0 failed".
 */
export default class RuntimeSummaryReporter implements Reporter {
  #projects: TestProject[] = []

  onInit(vitest: Vitest): void {
    this.#projects = vitest.projects
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    const counts = new Map<string, Counts>()
    const countsOf = (name: string) => {
      let c = counts.get(name)
      if (!c) counts.set(name, (c = { passed: 0, failed: 0, skipped: 0, brokenFiles: 0 }))
      return c
    }
    // Every project that was selected gets a line, even one whose setup failed before any file ran.
    for (const project of this.#projects) countsOf(project.name)
    for (const module of testModules) {
      const c = countsOf(module.project.name)
      let failedTests = 0
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === 'passed') c.passed++
        else if (state === 'failed') (c.failed++, failedTests++)
        else c.skipped++ // skipped, todo, or never finished (interrupted run)
      }
      if (failedTests === 0 && (module.state() === 'failed' || module.errors().length > 0)) {
        c.failed++
        c.brokenFiles++
      }
    }

    const total = { passed: 0, failed: 0, skipped: 0 }
    const lines = ['']
    for (const [name, c] of counts) {
      const label = ['unit', 'browser', 'package', 'bench', ''].includes(name) ? name || 'tests' : `conformance ${name}`
      const broken = c.brokenFiles ? ` (${c.brokenFiles} file${c.brokenFiles === 1 ? '' : 's'} failed outside any test)` : ''
      lines.push(`${label}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped${broken}`)
      total.passed += c.passed
      total.failed += c.failed
      total.skipped += c.skipped
    }
    if (unhandledErrors.length > 0) lines.push(`${unhandledErrors.length} unhandled error${unhandledErrors.length === 1 ? '' : 's'} (see above)`)
    lines.push(`${total.passed} passed, ${total.failed} failed`)
    process.stdout.write(lines.join('\n') + '\n')
  }
}
