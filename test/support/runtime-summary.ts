import type { Reporter, TestModule } from 'vitest/node'

/**
 * Prints the count of tests per project (one project per runtime) after the run, and a
 * plain total line, so the log shows at a glance that every runtime ran every case.
 */
export default class RuntimeSummary implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const counts = new Map<string, { passed: number; failed: number; skipped: number }>()
    for (const module of modules) {
      const name = module.project.name
      const count = counts.get(name) ?? { passed: 0, failed: 0, skipped: 0 }
      counts.set(name, count)
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === 'passed') count.passed++
        else if (state === 'failed') count.failed++
        else count.skipped++
      }
    }
    const total = { passed: 0, failed: 0, skipped: 0 }
    const lines = ['', 'Per runtime:']
    for (const [name, c] of [...counts].sort()) {
      lines.push(`  ${name.padEnd(8)} ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`)
      total.passed += c.passed
      total.failed += c.failed
      total.skipped += c.skipped
    }
    lines.push(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`)
    console.log(lines.join('\n'))
  }
}
