/**
 * dynalite keys index entries by 24 bits of the table key's hash; local/dynaliteIndexKeys.ts keys
 * them by the whole hash. Two jobs of one edge task in one status whose short hashes collide are
 * written through the job store on dynalite: both stay listed in byOwner, and one leaving the
 * status takes nothing of the other with it.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobKeyFor } from '../../core/jobs/FirmwareJob.ts';
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

  it('keeps two jobs of one owner listed when their short hashes collide, and one leaving keeps the other', async () => {
    // Prepare
    const campaignId = 'campaign-index-collision';
    const owner = 'task-collision';
    const [first, second] = collidingEndpoints(campaignId);
    const firstJob = await readyJob(tables, first, T0, { campaignId, ownerTask: owner });
    await readyJob(tables, second, T0, { campaignId, ownerTask: owner });
    const bothListed = await tables.jobs.listOwned(owner);

    // Act: the first job moves to another task, its entry leaves this owner's partition.
    expect(await tables.jobs.claim(firstJob, 'task-elsewhere')).toBe(true);

    // Assess
    expect(bothListed.map((entry) => entry.jobKey).sort()).toEqual([jobKeyFor(0, first), jobKeyFor(0, second)].sort());
    expect((await tables.jobs.listOwned(owner)).map((entry) => entry.jobKey)).toEqual([jobKeyFor(0, second)]);
    expect((await tables.jobs.listOwned('task-elsewhere')).map((entry) => entry.jobKey)).toEqual([jobKeyFor(0, first)]);
  });
});
