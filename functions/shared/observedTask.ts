/**
 * A workflow task bound to its dependencies, observed: the invocation logs through a child logger
 * carrying the campaign id, runs in its own trace subsegment, and ends with one line saying how it
 * went (an error is logged here, where the task hands it to Step Functions' Retry/Catch).
 */
import type { WorkflowHandler } from '../../core/campaign/workflowStates.ts';
import type { WorkflowDependencies, WorkflowTask } from './dependencies.ts';
import { correlatedLogger, traced } from './observability.ts';

export type BoundTask<T> = (event: unknown) => Promise<T>;

export function observedTask<T>(name: WorkflowHandler, task: WorkflowTask<T>, deps: WorkflowDependencies): BoundTask<T> {
  return async (event) => {
    const campaignId = campaignIdOf(event);
    const ids = campaignId === undefined ? {} : { campaignId };
    const logger = correlatedLogger(deps.logger, { task: name, ...ids });
    return traced(deps.tracer, name, ids, async () => {
      const started = performance.now();
      try {
        const output = await task({ ...deps, logger }, event);
        logger.info('task done', { durationMs: Math.round(performance.now() - started) });
        return output;
      } catch (error) {
        logger.error('task failed', { error, durationMs: Math.round(performance.now() - started) });
        throw error;
      }
    });
  };
}

function campaignIdOf(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null || !('campaignId' in event)) return undefined;
  return typeof event.campaignId === 'string' ? event.campaignId : undefined;
}
