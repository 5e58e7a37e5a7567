/**
 * dynalite keys index entries by 24 bits of the table key's hash; local/dynaliteIndexKeys.ts keys
 * them by the whole hash. Two jobs of one edge task in one status whose short hashes collide are
 * written through the job store on dynalite: both stay listed in byOwner, and one leaving the
 * status takes nothing of the other with it.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobKeyFor } from '../../core/jobs/FirmwareJob.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import { readyJob, startJobTables, T0, type JobTables } from '../coap-edge/jobs/jobStepsHarness.ts';

/** dynalite's own suffix of an index entry (db/index.js hashPrefix over the table key). */
const shortHash = (campaignId: string, jobKey: string): string => createHash('md5').update('Outliers').update(campaignId).update(jobKey).digest('hex').slice(0, 6);

/** Two endpoints whose jobs in `campaignId` share dynalite's short index hash (a birthday search). */
function collidingEndpoints(campaignId: string): [string, string] {
  const seen = new Map<string, string>();
  for (let i = 0; ; i++) {
    const endpoint = `collide-${i}`;
    const hash = shortHash(campaignId, jobKeyFor(0, endpoint));
    const earlier = seen.get(hash);
    if (earlier !== undefined) return [earlier, endpoint];
    seen.set(hash, endpoint);
  }
}

describe('index entries of dynalite', () => {
  let tables: JobTables;

  beforeAll(async () => {
    tables = await startJobTables();
  });

  afterAll(async () => {
    await tables?.stop();
  });

  it('keeps two jobs of one owner and status listed when their short hashes collide, and one leaving keeps the other', async () => {
    // Prepare
    const campaignId = 'campaign-index-collision';
    const owner = 'task-collision';
    const [first, second] = collidingEndpoints(campaignId);
    const firstJob = await readyJob(tables, first, T0, { campaignId, ownerTask: owner });
    await readyJob(tables, second, T0, { campaignId, ownerTask: owner });
    const bothListed = await tables.jobs.listForOwner(owner, JobStatus.Ready);

    // Act
    expect((await tables.jobs.transition(firstJob, { kind: 'downloadStarted', delivery: 'coap-pull', deadline: T0 + 1 }, T0)).success).toBe(true);

    // Assess
    expect(bothListed.map((job) => job.endpoint).sort()).toEqual([first, second].sort());
    expect((await tables.jobs.listForOwner(owner, JobStatus.Ready)).map((job) => job.endpoint)).toEqual([second]);
    expect((await tables.jobs.listForOwner(owner, JobStatus.Downloading)).map((job) => job.endpoint)).toEqual([first]);
  });
});
