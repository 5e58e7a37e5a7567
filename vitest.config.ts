import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './test/longestFirstSequencer.ts';

/** End-to-end tests: the whole local stack, real clients, the `fota` binary, a browser. */
const END_TO_END = ['test/integration/**/*.test.ts', 'test/cli/**/*.test.ts', 'test/dashboard/**/*.test.ts'];
/** The reliability scenarios: loss, duplication, edge tasks replaced, balancer re-routes, restarts. */
const RELIABILITY = ['test/reliability/**/*.test.ts'];
/**
 * The scenarios whose timing models starve on a busy CPU: the balancer's 400 ms flow-idle model
 * (flows re-routed, jobs timed out), the replaced task's drain, and a queue-mode device awake for
 * 400 ms. They run last, one at a time.
 */
const RELIABILITY_ALONE = ['test/reliability/balancer.test.ts', 'test/reliability/edgeReplacement.test.ts', 'test/reliability/queueModeRestart.test.ts'];

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
    // CDK's built-in CloudFormation validation costs about 10 s of CPU per worker; one test runs it
    // with its findings as errors (test/infra/workflow.test.ts), the rest of the run skips it.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', CDK_VALIDATION: 'false' },
    reporters: ['default'],
    // The longest files start first, whatever their project (test/longestFirstSequencer.ts).
    sequence: { sequencer: LongestFirstSequencer },
    // `npm test` runs them all; `npx vitest run --project unit` (or integration, 'reliability*') a part.
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [...END_TO_END, ...RELIABILITY], isolate: false } },
      { extends: true, test: { name: 'integration', include: END_TO_END, isolate: false } },
      // The lossy network, restarts and reboots share the CPU with the other files.
      // The scenarios share their worker's module cache (each starts its own stack and restores the
      // CoAP timing it changed).
      { extends: true, test: { name: 'reliability', include: RELIABILITY, exclude: RELIABILITY_ALONE, isolate: false } },
      // After every other file (groupOrder 1), one at a time in one worker (`--project 'reliability*'` runs both).
      { extends: true, test: { name: 'reliability-alone', include: RELIABILITY_ALONE, maxWorkers: 1, isolate: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
