/**
 * Campaigns as fast as their devices (issue 17): the workflow waits for each phase on a task token
 * that the edge hands back when its last job of the cohort's phase ends (coap-edge/jobs/PhaseWaker.ts),
 * so a campaign with the API's default 30 s poll interval does not wait for a poll per phase.
 * Real UDP devices, dynalite, and the synthesized ASL in the local runner.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStack } from '../../local/LocalStack.ts';
import { Fleet } from '../../sim/Fleet.ts';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';
import { launchCampaign } from '../../functions/api/launchCampaign.ts';
import { WorkflowState } from '../../core/campaign/workflowStates.ts';
import { eventually } from './eventually.ts';

const DEFAULT_POLL_MS = 30_000;

describe('a phase ends when its last job ends, not at the next poll', () => {
  let stack: LocalStack;
  let fleet: Fleet;

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent', jobPollIntervalMs: 200 });
    fleet = new Fleet({ size: 4, serverPort: stack.edge.address.port, endpointPrefix: 'wake', deviceOptions: () => ({ model: 'WAKE-1', firmwareVersion: '1.0.0' }) });
    await fleet.start();
    await eventually(async () => expect((await stack.stores.registrations.list()).filter((d) => d.model === 'WAKE-1')).toHaveLength(4), { what: 'the four devices registered with their facts read' });
  });

  afterAll(async () => {
    await fleet?.stop();
    await stack?.stop();
  });

  it('updates two cohorts with the default poll interval in less time than one poll', async () => {
    // Prepare
    const image = await stack.stores.images.store({ version: '1.1.0', models: ['WAKE-1'] }, buildFirmwarePackage('1.1.0', 4096));
    const started = Date.now();
    const transitionsBefore = stack.stepFunctions.usage.stateTransitions;

    // Act
    const campaign = await launchCampaign(stack.stores, stack.stepFunctions, { name: 'woken', imageId: image.imageId, target: { model: 'WAKE-1' }, cohortPercentages: [50, 100] });
    const execution = stack.stepFunctions.executions.get(campaign.executionId);
    await execution?.done;

    // Assess: four phase waits (two cohorts, download and install), none of them a full poll.
    const elapsedMs = Date.now() - started;
    expect(campaign.pollSeconds * 1000).toBe(DEFAULT_POLL_MS);
    expect(execution?.error ?? execution?.status).toBe('SUCCEEDED');
    expect((await stack.stores.campaigns.get(campaign.campaignId))?.summary).toMatchObject({ devices: 4, succeeded: 4 });
    expect(execution?.taskLog.filter((state) => state === WorkflowState.WaitForDownloads || state === WorkflowState.WaitForInstalls).length).toBeGreaterThanOrEqual(4);
    expect(elapsedMs).toBeLessThan(DEFAULT_POLL_MS);
    // Billed transitions, counted by the local runner: 22 when each phase ends at its first wake
    // (test/infra/workflow.test.ts), 3 more per early wake (the edge held no job of the cohort for
    // a moment); the workflow before December 2026 took 32 at the least.
    const transitions = stack.stepFunctions.usage.stateTransitions - transitionsBefore;
    expect(transitions).toBeGreaterThanOrEqual(22);
    expect(transitions).toBeLessThanOrEqual(28);
  }, 4 * DEFAULT_POLL_MS + 30_000);

  it('answers a task token nobody waits on with false (a stale wake changes nothing)', async () => {
    expect(await stack.stepFunctions.sendTaskSuccess('no-such-execution/0')).toBe(false);
  });
});
