/**
 * The edge's phase wake (coap-edge/jobs/PhaseWaker.ts) against the campaign store on dynalite: the
 * cohort's last job in hand often ends while the workflow is still in its tick (the tick that
 * releases thousands of devices runs for many seconds), before the workflow arms the wait the
 * wake must end. Step Functions' SendTaskSuccess is played by a stand-in that, like the service,
 * accepts only the token of the wait armed now (the local runner's tokens exist only inside a
 * running execution).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulators, type Emulators } from '../../../local/emulators.ts';
import { PhaseWaker, type TaskTokenSender } from '../../../coap-edge/jobs/PhaseWaker.ts';
import { createLogger } from '../../../coap-edge/logger.ts';
import type { CampaignStore } from '../../../core/ports/CampaignStore.ts';
import type { FirmwareJob } from '../../../core/jobs/FirmwareJob.ts';
import { JobStatus } from '../../../core/jobs/jobStateMachine.ts';
import { eventually } from '../../integration/eventually.ts';

const RETRY = { intervalMs: 20, giveUpAfterMs: 60_000 };

/** Step Functions' SendTaskSuccess as the wake sees it: true only for the token of the wait armed now. */
class StepFunctionsStandIn implements TaskTokenSender {
  armed: string | undefined;
  readonly sent: string[] = [];

  sendTaskSuccess(taskToken: string): Promise<boolean> {
    this.sent.push(taskToken);
    const ended = taskToken === this.armed;
    if (ended) this.armed = undefined;
    return Promise.resolve(ended);
  }
}

describe('the phase wake', () => {
  let emulators: Emulators;
  let campaigns: CampaignStore;
  let reads = 0;
  let waker: PhaseWaker | undefined;

  beforeAll(async () => {
    emulators = await startEmulators();
    // Counts the wake's reads of the campaign: how long it keeps looking.
    campaigns = Object.create(emulators.stores.campaigns, {
      get: { value: (campaignId: string) => (reads++, emulators.stores.campaigns.get(campaignId)) },
    }) as CampaignStore;
  });

  afterAll(async () => {
    waker?.stop();
    await emulators?.stop();
  });

  /** A running campaign whose wait for cohort 0 is over: the workflow is in its tick. */
  async function campaignInItsTick(campaignId: string): Promise<void> {
    const now = Date.now();
    await emulators.stores.campaigns.create({ campaignId, name: campaignId, imageId: 'none', target: {}, cohortPercentages: [100], pollSeconds: 30, downloadTimeoutSeconds: 60, installTimeoutSeconds: 60, abortFailurePercent: 5, status: 'RUNNING', targetVersion: '1', createdAt: now, updatedAt: now });
    await emulators.stores.campaigns.update(campaignId, { phaseWaiter: { taskToken: 'wait-over', cohort: 0, phase: 'download', armedAt: now } });
  }

  const job = (campaignId: string, endpoint: string, status: JobStatus): FirmwareJob => ({
    campaignId, jobKey: `0000#${endpoint}`, endpoint, cohort: 0, status, version: 1, attempt: 0, imageId: 'none', targetVersion: '1', downloadToken: endpoint, createdAt: 0, updatedAt: 0, history: [],
  });

  it('ends the wait the workflow arms after the cohort\'s last job ended, however long its tick ran', async () => {
    // Prepare
    await campaignInItsTick('wake-late-arm');
    const stepFunctions = new StepFunctionsStandIn();
    waker = new PhaseWaker(campaigns, stepFunctions, createLogger('edge', 'silent'), RETRY);

    // Act: the cohort's last job in hand ends during the tick; the tick goes on for many looks.
    waker.onTransition(job('wake-late-arm', 'd1', JobStatus.Downloading));
    waker.onTransition(job('wake-late-arm', 'd1', JobStatus.Downloaded));
    const readsAtEnd = reads;
    await eventually(() => expect(reads - readsAtEnd).toBeGreaterThanOrEqual(20), { what: 'the wake looked 20 times while no wait was armed' });
    stepFunctions.armed = 'wait-armed-after-the-tick';
    await emulators.stores.campaigns.update('wake-late-arm', { phaseWaiter: { taskToken: 'wait-armed-after-the-tick', cohort: 0, phase: 'download', armedAt: Date.now() } });

    // Assess: the new wait ended; the one that was over was handed back once only.
    await eventually(() => expect(stepFunctions.sent).toContain('wait-armed-after-the-tick'), { what: 'the wait armed after the tick ended by the wake' });
    expect(stepFunctions.sent).toEqual(['wait-over', 'wait-armed-after-the-tick']);
    expect(stepFunctions.armed).toBeUndefined();
  });

  it('leaves the wait of another cohort alone, however long it looks', async () => {
    // Prepare: the workflow already waits on cohort 1.
    await campaignInItsTick('wake-other-cohort');
    const stepFunctions = new StepFunctionsStandIn();
    stepFunctions.armed = 'wait-cohort-1';
    await emulators.stores.campaigns.update('wake-other-cohort', { phaseWaiter: { taskToken: 'wait-cohort-1', cohort: 1, phase: 'download', armedAt: Date.now() } });
    waker = new PhaseWaker(campaigns, stepFunctions, createLogger('edge', 'silent'), RETRY);

    // Act: a late job of cohort 0 leaves the edge's hands.
    waker.onTransition(job('wake-other-cohort', 'd1', JobStatus.Downloading));
    waker.onTransition(job('wake-other-cohort', 'd1', JobStatus.Downloaded));
    const readsAtEnd = reads;
    await eventually(() => expect(reads - readsAtEnd).toBeGreaterThanOrEqual(20), { what: 'the wake looked 20 times' });

    // Assess
    expect(stepFunctions.sent).toEqual([]);
    expect(stepFunctions.armed).toBe('wait-cohort-1');
  });
});
