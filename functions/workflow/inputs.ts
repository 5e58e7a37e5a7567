import { z } from 'zod';
import { InvalidWorkflowInputError } from '../shared/errors.ts';

export const CampaignInput = z.object({ campaignId: z.string().min(1) });
export const PlanInput = CampaignInput.extend({
  /** Set when an execution continues a previous one (see ContinueAsNew). */
  resume: z.object({ cohort: z.number().int().min(0), phase: z.enum(['download', 'install']), startedAt: z.number() }).optional(),
});
export const CohortInput = CampaignInput.extend({ cohort: z.number().int().min(0) });
export const PhaseInput = CohortInput.extend({ phase: z.enum(['download', 'install']) });
export const AwaitInput = PhaseInput.extend({ taskToken: z.string().min(1) });
export const EvaluateInput = PhaseInput.extend({ polls: z.number().int().min(0), pollSeconds: z.number().int().min(1), startedAt: z.number() });
export const CancelInput = CampaignInput.extend({ step: z.enum(['request', 'settle']) });
export const ContinueInput = PhaseInput.extend({ stateMachineArn: z.string().min(1), startedAt: z.number() });
export const FinalizeInput = CampaignInput.extend({ outcome: z.enum(['completed', 'aborted', 'failed', 'cancelled']), error: z.unknown().optional() });

export function parseInput<T>(schema: z.ZodType<T>, event: unknown): T {
  const parsed = schema.safeParse(event);
  if (!parsed.success) {
    throw new InvalidWorkflowInputError(parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '));
  }
  return parsed.data;
}

/** What every phase task returns into `$.phase`: the monitor loop's state. */
export interface PhaseState {
  readonly phase: 'download' | 'install';
  readonly complete: boolean;
  readonly abort: boolean;
  readonly cancel: boolean;
  readonly continueAsNew: boolean;
  readonly pollSeconds: number;
  readonly polls: number;
  readonly startedAt: number;
}
