/** Before each test file: the workflow template synthesized once for the run (test/globalSetup.ts). */
import { inject } from 'vitest';
import { rememberOrchestrationTemplate } from '../local/orchestrationTemplate.ts';

rememberOrchestrationTemplate(inject('orchestrationTemplate'));
