import { defineConfig } from 'vitest/config';

/** End-to-end tests: the whole local stack, real clients, the `fota` binary, a browser. */
const END_TO_END = ['test/integration/**/*.test.ts', 'test/cli/**/*.test.ts', 'test/dashboard/**/*.test.ts'];
/** The reliability scenarios: loss, duplication, edge tasks replaced, balancer re-routes, restarts. */
const RELIABILITY = ['test/reliability/**/*.test.ts'];

export default defineConfig({
  test: {
    // The CDK app is synthesized once per run, not once per file (test/globalSetup.ts).
    globalSetup: ['test/globalSetup.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // End-to-end tests spend most of their time waiting on UDP round trips, polls and the
    // workflow's waits: three files at once keep two cores busy.
    maxWorkers: 3,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    reporters: ['default'],
    // `npm test` runs all three; `npx vitest run --project unit` (or integration, reliability) one.
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [...END_TO_END, ...RELIABILITY], isolate: false } },
      { extends: true, test: { name: 'integration', include: END_TO_END, isolate: false } },
      // One scenario at a time: the balancer's 400 ms flow-idle model starves (flows re-routed, jobs
      // timed out) when the 200-device lossy-network run takes the CPU beside it.
      { extends: true, test: { name: 'reliability', include: RELIABILITY, maxWorkers: 1 } },
    ],
  },
});
