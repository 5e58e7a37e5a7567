import { z } from 'zod';
import { InvalidWorkflowInputError } from '../shared/errors.ts';

export const CampaignInput = z.object({ campaignId: z.string().min(1) });
export const CohortInput = CampaignInput.extend({ cohort: z.number().int().min(0) });
export const PhaseInput = CohortInput.extend({ phase: z.enum(['download', 'install']) });
export const FinalizeInput = CampaignInput.extend({ outcome: z.enum(['completed', 'aborted', 'failed']), error: z.unknown().optional() });

export function parseInput<T>(schema: z.ZodType<T>, event: unknown): T {
  const parsed = schema.safeParse(event);
  if (!parsed.success) {
    throw new InvalidWorkflowInputError(parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '));
  }
  return parsed.data;
}
