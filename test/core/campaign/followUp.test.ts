import { describe, expect, it } from 'vitest';
import { planRollback, relaunchEndpoints, type FollowUpJob, type RollbackImage } from '../../../core/campaign/followUp.ts';
import { JobStatus } from '../../../core/jobs/jobStateMachine.ts';

const job = (endpoint: string, status: JobStatus, extra: Partial<FollowUpJob> = {}): FollowUpJob => ({ endpoint, status, ...extra });

describe('relaunchEndpoints', () => {
  const jobs = [
    job('ok', JobStatus.Succeeded),
    job('failed', JobStatus.Failed, { reason: 'UPDATE_FAILED' }),
    job('cancelled', JobStatus.Cancelled),
    job('never-released', JobStatus.Pending),
    job('busy', JobStatus.Skipped, { reason: 'DEVICE_BUSY' }),
    job('current', JobStatus.Skipped, { reason: 'ALREADY_ON_TARGET_VERSION' }),
    job('other-model', JobStatus.Skipped, { reason: 'INCOMPATIBLE_MODEL' }),
  ];

  it('takes the devices that failed or were not reached, never those that succeeded or that a guard skipped', () => {
    expect(relaunchEndpoints(jobs, false)).toEqual(['busy', 'cancelled', 'failed', 'never-released']);
  });

  it('takes only the devices that failed with failedOnly', () => {
    expect(relaunchEndpoints(jobs, true)).toEqual(['failed']);
  });

  it('names a device once even when it has two jobs', () => {
    expect(relaunchEndpoints([job('a', JobStatus.Failed), job('a', JobStatus.Failed)], true)).toEqual(['a']);
  });
});

describe('planRollback', () => {
  const image = (imageId: string, version: string, models: string[], createdAt = 1, anyModel?: boolean): RollbackImage => ({ imageId, version, models, createdAt, ...(anyModel === undefined ? {} : { anyModel }) });

  it('takes each updated device back to the newest image of its previous version for its model, one group per image', () => {
    const plan = planRollback(
      [
        job('a', JobStatus.Succeeded, { previousVersion: '2.0.0', model: 'M1' }),
        job('b', JobStatus.Succeeded, { previousVersion: '2.0.0', model: 'M1' }),
        job('c', JobStatus.Succeeded, { previousVersion: '1.9.0', model: 'M2' }),
        job('failed', JobStatus.Failed, { previousVersion: '2.0.0', model: 'M1' }),
      ],
      [image('old-2.0.0', '2.0.0', ['M1'], 1), image('new-2.0.0', '2.0.0', ['M1'], 2), image('m2-1.9.0', '1.9.0', ['M2'])],
    );
    expect(plan.groups).toEqual([
      { imageId: 'm2-1.9.0', version: '1.9.0', endpoints: ['c'] },
      { imageId: 'new-2.0.0', version: '2.0.0', endpoints: ['a', 'b'] },
    ]);
    expect(plan.excluded).toEqual([]);
  });

  it('names the devices whose previous version is unknown or has no stored image for their model, and leaves them out', () => {
    const plan = planRollback(
      [job('no-record', JobStatus.Succeeded), job('no-image', JobStatus.Succeeded, { previousVersion: '1.0.0', model: 'M1' }), job('other-model', JobStatus.Succeeded, { previousVersion: '2.0.0', model: 'M9' })],
      [image('m1', '2.0.0', ['M1'])],
    );
    expect(plan.groups).toEqual([]);
    expect(plan.excluded).toEqual([
      { endpoint: 'no-image', previousVersion: '1.0.0', reason: 'NO_IMAGE_FOR_PREVIOUS_VERSION' },
      { endpoint: 'no-record', reason: 'PREVIOUS_VERSION_UNKNOWN' },
      { endpoint: 'other-model', previousVersion: '2.0.0', reason: 'NO_IMAGE_FOR_PREVIOUS_VERSION' },
    ]);
  });

  it('falls back to an image for any model when none names the device model', () => {
    const plan = planRollback([job('a', JobStatus.Succeeded, { previousVersion: '2.0.0', model: 'M9' })], [image('any', '2.0.0', [], 1, true)]);
    expect(plan.groups).toEqual([{ imageId: 'any', version: '2.0.0', endpoints: ['a'] }]);
  });
});
