/**
 * Once per test run: the orchestration template synthesized from this code, provided to every
 * test file (test/setup.ts remembers it), so the local stacks the tests start do not synthesize
 * the CDK app again each (issue 15: about 6 s of CPU per file).
 */
import type { TestProject } from 'vitest/node';
import { synthesizeOrchestrationTemplate } from '../local/synthesizedWorkflow.ts';
import type { CfnTemplate } from '../local/orchestrationTemplate.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    orchestrationTemplate: CfnTemplate;
  }
}

/** Each vitest project runs this setup; the template is synthesized for the first only. */
const cache = globalThis as { fotaOrchestrationTemplate?: CfnTemplate };

export default function setup(project: TestProject): void {
  cache.fotaOrchestrationTemplate ??= synthesizeOrchestrationTemplate();
  project.provide('orchestrationTemplate', cache.fotaOrchestrationTemplate);
}
