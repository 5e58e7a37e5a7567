import { describe, expect, it } from 'vitest';
import { countFleetVersions, UNKNOWN_FACT, type DeviceFacts } from '../../../core/fleet/fleetVersions.ts';
import { failedLastUpdates, type JobOutcome } from '../../../core/fleet/lastUpdates.ts';
import { firmwareHistory } from '../../../core/fleet/firmwareHistory.ts';
import type { FirmwareJob } from '../../../core/jobs/FirmwareJob.ts';
import { JobStatus } from '../../../core/jobs/jobStateMachine.ts';

const NOW = 1_800_000_000_000;
const device = (endpoint: string, model: string | undefined, version: string | undefined, online: boolean): DeviceFacts => ({
  endpoint,
  ...(model === undefined ? {} : { model }),
  ...(version === undefined ? {} : { firmwareVersion: version }),
  lifetimeSeconds: 60,
  lastSeen: online ? NOW - 1000 : NOW - 120_000,
});

describe('fleet versions', () => {
  it('counts every device once by model and version, online apart, sorted by model then version numerically', () => {
    const rows = countFleetVersions([device('a', 'M', '2.10.0', true), device('b', 'M', '2.9.0', false), device('c', 'M', '2.9.0', true), device('d', 'A', '1.0.0', true)], NOW);
    expect(rows).toEqual([
      { model: 'A', version: '1.0.0', devices: 1, online: 1 },
      { model: 'M', version: '2.9.0', devices: 2, online: 1 },
      { model: 'M', version: '2.10.0', devices: 1, online: 1 },
    ]);
  });

  it('shows facts not read yet as unknown rather than leaving the device out', () => {
    expect(countFleetVersions([device('a', undefined, undefined, true)], NOW)).toEqual([{ model: UNKNOWN_FACT, version: UNKNOWN_FACT, devices: 1, online: 1 }]);
  });

  it('counts 100,000 devices into one row per model and version', () => {
    const fleet = Array.from({ length: 100_000 }, (_, i) => device(`d-${i}`, `M-${i % 5}`, `1.${i % 7}.0`, i % 3 !== 0));
    const rows = countFleetVersions(fleet, NOW);
    expect(rows.reduce((sum, row) => sum + row.devices, 0)).toBe(100_000);
    expect(rows.reduce((sum, row) => sum + row.online, 0)).toBe(fleet.filter((_, i) => i % 3 !== 0).length);
    expect(rows).toHaveLength(35);
  });
});

describe('failed last updates', () => {
  const outcome = (endpoint: string, status: JobStatus, updatedAt: number): JobOutcome => ({ endpoint, campaignId: `c-${updatedAt}`, status, targetVersion: '2.0.0', updatedAt });

  it('names a device whose latest finished job failed, not one that succeeded since, nor a skip or a running job', () => {
    const failed = failedLastUpdates([
      outcome('a', JobStatus.Failed, 1), outcome('a', JobStatus.Succeeded, 2),
      outcome('b', JobStatus.Succeeded, 1), outcome('b', JobStatus.Failed, 2), outcome('b', JobStatus.Skipped, 3), outcome('b', JobStatus.Downloading, 4),
    ]);
    expect(failed.map((job) => [job.endpoint, job.campaignId])).toEqual([['b', 'c-2']]);
  });
});

describe('firmware history', () => {
  const job = (campaignId: string, status: JobStatus, targetVersion: string, at: number): FirmwareJob => ({
    campaignId, jobKey: `0000#m`, endpoint: 'm', cohort: 0, status, version: 1, attempt: 0, imageId: `img-${campaignId}`, targetVersion, downloadToken: 't', createdAt: at - 10, updatedAt: at, history: [],
    ...(status === JobStatus.Failed ? { reason: 'UPDATE_FAILED' } : {}),
  });

  it('lists the versions installed by campaigns in time order and every campaign latest first', () => {
    const history = firmwareHistory({ endpoint: 'm', firmwareVersion: '2.0.0', registeredAt: 5 }, [job('c2', JobStatus.Succeeded, '2.0.0', 200), job('c1', JobStatus.Succeeded, '1.5.0', 100), job('c3', JobStatus.Failed, '2.1.0', 300)]);
    expect(history.versions).toEqual([{ version: '1.5.0', since: 100, campaignId: 'c1' }, { version: '2.0.0', since: 200, campaignId: 'c2' }]);
    expect(history.updates.map((u) => u.campaignId)).toEqual(['c3', 'c2', 'c1']);
    expect(history.lastUpdateFailed).toMatchObject({ campaignId: 'c3', reason: 'UPDATE_FAILED' });
  });

  it('adds the version the device runs when no campaign installed it', () => {
    const history = firmwareHistory({ endpoint: 'm', firmwareVersion: '3.0.0', registeredAt: 500 }, [job('c1', JobStatus.Succeeded, '2.0.0', 100)]);
    expect(history.versions.at(-1)).toEqual({ version: '3.0.0', since: 500 });
    expect(history.lastUpdateFailed).toBeUndefined();
  });
});
