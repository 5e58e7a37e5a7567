import { describe, expect, it } from 'vitest';
import type { Campaign } from '../../../core/campaign/Campaign.ts';
import { campaignNotification } from '../../../core/campaign/notifications.ts';
import { tallyJobs } from '../../../core/campaign/progress.ts';
import { JobStatus } from '../../../core/jobs/jobStateMachine.ts';

const campaign = (status: Campaign['status']): Campaign =>
  ({ campaignId: 'c-1', name: 'Meters', status, imageId: 'i', target: {}, cohortPercentages: [100], pollSeconds: 1, downloadTimeoutSeconds: 1, installTimeoutSeconds: 1, abortFailurePercent: 5, targetVersion: '2', createdAt: 0, updatedAt: 0 }) as Campaign;
const tally = tallyJobs([{ status: JobStatus.Succeeded }, { status: JobStatus.Succeeded }, { status: JobStatus.Failed, reason: 'UPDATE_FAILED' }]);

describe('campaignNotification', () => {
  it('tells of a campaign that ended, with its figures and its page in the dashboard', () => {
    const notification = campaignNotification(campaign('ABORTED'), 'RUNNING', tally, 'https://d.example.com/', 5);
    expect(notification).toMatchObject({ campaignId: 'c-1', status: 'ABORTED', previousStatus: 'RUNNING', figures: { devices: 3, succeeded: 2, failed: 1, failureReasons: { UPDATE_FAILED: 1 } }, dashboardUrl: 'https://d.example.com/#campaign=c-1', at: 5 });
    expect(notification?.subject).toBe('Campaign Meters was aborted: 2 of 3 devices updated, 1 failed');
  });

  it('tells of each status a person must act on or hear of: waiting for approval, paused, aborted, succeeded, failed', () => {
    for (const status of ['WAITING_APPROVAL', 'PAUSED', 'ABORTED', 'SUCCEEDED', 'FAILED'] as const) expect(campaignNotification(campaign(status), 'RUNNING', tally, undefined, 0), status).toBeDefined();
  });

  it('says nothing of other statuses, or of a change that left the status as it was', () => {
    expect(campaignNotification(campaign('RUNNING'), 'WAITING_APPROVAL', tally, undefined, 0)).toBeUndefined();
    expect(campaignNotification(campaign('CANCELLING'), 'RUNNING', tally, undefined, 0)).toBeUndefined();
    expect(campaignNotification(campaign('PAUSED'), 'PAUSED', tally, undefined, 0)).toBeUndefined();
  });

  it('carries no link when the dashboard is not known', () => {
    expect(campaignNotification(campaign('SUCCEEDED'), 'RUNNING', tally, undefined, 0)?.dashboardUrl).toBeUndefined();
  });
});
