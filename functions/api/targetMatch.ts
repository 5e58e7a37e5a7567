/**
 * What a campaign definition matches in the registry now: the target's selection, the
 * compatibility guards' verdicts, what the target names that does not exist, and the problems of
 * the match (core/campaign/definitionRules.ts). Shared by the dry run and the create, which refuses
 * the problems a dry run only reports.
 */
import type { CampaignDefinition } from '../../core/campaign/Campaign.ts';
import { guardCompatibility, type GuardedImage, type GuardedSelection } from '../../core/campaign/compatibility.ts';
import { matchProblems, type DefinitionProblem } from '../../core/campaign/definitionRules.ts';
import { selectTargets, unmatchedTarget, type TargetSelection, type UnmatchedTarget } from '../../core/campaign/targets.ts';
import type { FirmwareImage } from '../../core/images/FirmwareImage.ts';
import type { Stores } from '../../store/Stores.ts';

export interface TargetMatch {
  readonly selection: TargetSelection;
  readonly guarded: GuardedSelection;
  readonly unmatched: UnmatchedTarget;
  readonly problems: readonly DefinitionProblem[];
}

export async function matchTarget(stores: Stores, definition: CampaignDefinition, image: FirmwareImage & GuardedImage): Promise<TargetMatch> {
  const devices = await stores.registrations.list();
  const selection = selectTargets(devices, definition.target, image.version, image.compatibleFrom);
  const guarded = guardCompatibility(selection.eligible, image, { allowDowngrade: definition.allowDowngrade === true });
  const matched = selection.eligible.length + selection.alreadyCurrent.length + selection.incompatible.length;
  const specs = definition.cohorts ?? definition.cohortPercentages.map((percent) => ({ percent }));
  return { selection, guarded, unmatched: unmatchedTarget(devices, definition.target), problems: matchProblems(specs, matched, guarded.eligible.length) };
}
