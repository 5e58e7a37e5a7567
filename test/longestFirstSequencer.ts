import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest (wall time on 2 cores, `npm test`), started first so that none of
 * them is the tail of the run; vitest's own order (by project name, then cached duration or file
 * size) would start the 60 s lossy network after every end-to-end file, and a fresh clone (CI) has
 * no cached durations. Then vitest's order for the rest; `sequence.groupOrder` still comes first.
 */
const LONGEST_FIRST = [
  'test/reliability/lossyNetwork.test.ts',
  'test/reliability/reliability.test.ts',
  'test/integration/dynamicCampaign.test.ts',
  'test/integration/releaseManagerDay.test.ts',
  'test/integration/scheduledCampaign.test.ts',
  'test/infra/workflow.test.ts',
  'test/integration/campaignScenarios.test.ts',
  'test/integration/serveWalkthrough.test.ts',
  'test/dashboard/dashboard.test.ts',
  'test/integration/fleetWalkthrough.test.ts',
  'test/integration/firmware-delivery.test.ts',
];

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification): number => {
      const index = LONGEST_FIRST.findIndex((path) => file.moduleId.endsWith(path));
      return index === -1 ? LONGEST_FIRST.length : index;
    };
    const position = new Map(sorted.map((file, index) => [file, index]));
    return sorted.sort((a, b) => a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder || rank(a) - rank(b) || (position.get(a) ?? 0) - (position.get(b) ?? 0));
  }
}
