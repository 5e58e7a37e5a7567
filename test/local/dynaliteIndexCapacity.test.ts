/**
 * The cost benchmark's count of global secondary index writes (local/dynaliteIndexCapacity.ts,
 * read by bench/dynamoDbUnits.ts), on the jobs table as the stack creates it: byOwner is keyed by
 * ownerTask and holds the keys and what the workflow changes (attempt, installRequested,
 * cancelRequested); byEndpoint and byToken hold keys only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulators, type Emulators } from '../../local/emulators.ts';
import { indexWriteUnits, reportIndexWriteCapacity } from '../../local/dynaliteIndexCapacity.ts';
import { DynamoDbUnitCounter } from '../../bench/dynamoDbUnits.ts';
import { DynamoDbJobStore } from '../../store/DynamoDbJobStore.ts';
import { JobStatus } from '../../core/jobs/jobStateMachine.ts';
import { jobKeyFor, type FirmwareJob } from '../../core/jobs/FirmwareJob.ts';

const T0 = Date.UTC(2026, 0, 1);

describe('the count of index writes', () => {
  let emulators: Emulators;
  let jobs: DynamoDbJobStore;
  const counter = new DynamoDbUnitCounter();
  let jobsTable: string;

  beforeAll(async () => {
    reportIndexWriteCapacity();
    emulators = await startEmulators();
    jobsTable = emulators.config.tables.jobs;
    jobs = new DynamoDbJobStore(emulators.stores.clients.dynamo, jobsTable);
    counter.install(emulators.stores.clients.dynamo);
  });

  afterAll(async () => {
    await emulators?.stop();
  });

  /** The units each index of the jobs table was billed while `act` ran. */
  async function indexUnitsOf(act: () => Promise<unknown>): Promise<Record<string, number>> {
    const before = indexWriteUnits();
    await act();
    const units: Record<string, number> = {};
    for (const [name, total] of indexWriteUnits()) {
      const spent = total - (before.get(name) ?? 0);
      if (spent > 0 && name.startsWith(`${jobsTable}/`)) units[name.slice(jobsTable.length + 1)] = spent;
    }
    return units;
  }

  /** A READY job owned by task-a, or a PENDING one that no task owns yet. */
  function job(endpoint: string, status: JobStatus = JobStatus.Ready): FirmwareJob {
    return {
      campaignId: 'campaign-units', jobKey: jobKeyFor(0, endpoint), endpoint, cohort: 0, status, version: 1, attempt: 0, imageId: 'image-1', targetVersion: '2.0.0',
      downloadToken: `token-${endpoint}`, ...(status === JobStatus.Pending ? {} : { ownerTask: 'task-a' }), createdAt: T0, updatedAt: T0, history: [],
    };
  }

  it('bills a new job once to every index whose key it has', async () => {
    const units = await indexUnitsOf(() => jobs.createJobs([job('units-new'), job('units-new-pending', JobStatus.Pending)]));

    expect(units).toEqual({ byOwner: 1, byEndpoint: 2, byToken: 2 });
  });

  it('bills an edge transition to no index: none holds the status', async () => {
    const ready = job('units-transition');
    await jobs.createJobs([ready]);

    const units = await indexUnitsOf(() => jobs.transition(ready, { kind: 'downloadStarted', delivery: 'coap-pull', deadline: T0 + 1 }, T0));

    expect(units).toEqual({});
  });

  it('bills a retry once to the owner index (its attempt) and twice to the token index (a new token is a new key)', async () => {
    const failing = { ...job('units-retry'), status: JobStatus.Failing };
    await jobs.createJobs([failing]);

    const units = await indexUnitsOf(() => jobs.transition(failing, { kind: 'retry', reason: 'DEVICE_TIMEOUT', notBefore: T0 + 1 }, T0, { downloadToken: 'token-units-retry-2' }));

    expect(units).toEqual({ byOwner: 1, byToken: 2 });
  });

  it('bills the transition that ends a job once, to the index it leaves (byOwner is sparse)', async () => {
    const verifying = { ...job('units-ended'), status: JobStatus.Verifying };
    await jobs.createJobs([verifying]);

    const units = await indexUnitsOf(() => jobs.transition(verifying, { kind: 'verified', firmwareVersion: '2.0.0' }, T0));

    expect(units).toEqual({ byOwner: 1 });
  });

  it('bills a change of an attribute the owner index holds once to it, and nothing to the keys-only indexes', async () => {
    const downloaded = { ...job('units-install'), status: JobStatus.Downloaded };
    await jobs.createJobs([downloaded]);

    const units = await indexUnitsOf(() => jobs.requestCancel(downloaded, T0 + 1));

    expect(units).toEqual({ byOwner: 1 });
  });

  it('reports the index writes in the consumed capacity, by table and operation', async () => {
    const downloaded = { ...job('units-report'), status: JobStatus.Downloaded };
    await jobs.createJobs([downloaded]);
    counter.reset();

    await jobs.requestCancel(downloaded, T0 + 1);

    expect(counter.writeUnits).toBe(2);
    expect(counter.writeRows()).toEqual([expect.objectContaining({ table: jobsTable, operation: expect.stringContaining('cancelRequested') as unknown, requests: 1, units: 2, indexUnits: 1 })]);
  });
});
