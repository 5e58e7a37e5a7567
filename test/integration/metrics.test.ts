import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LocalStack } from '../../local/LocalStack.ts';
import { Fleet } from '../../sim/Fleet.ts';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';
import { launchCampaign } from '../../functions/api/launchCampaign.ts';
import { FOTA_METRICS_NAMESPACE, FotaMetric, FotaMetricService } from '../../core/metrics.ts';

interface EmfDocument {
  readonly _aws: { readonly CloudWatchMetrics: readonly { readonly Namespace: string; readonly Dimensions: readonly (readonly string[])[]; readonly Metrics: readonly { readonly Name: string; readonly Unit: string }[] }[] };
  readonly [key: string]: unknown;
}

/**
 * The metrics the alarms read are emitted: an aborted campaign, run locally through the synthesized
 * workflow, prints the EMF document that CloudWatch turns into Fota/CampaignsAborted; the edge's
 * counters flush as EMF too. stdout is captured, as CloudWatch Logs reads it.
 */
describe('metrics an alarm reads', () => {
  let stack: LocalStack;
  let fleet: Fleet | undefined;
  const lines: string[] = [];

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent', waitOverrideMs: 100, jobPollIntervalMs: 100 });
    const write = process.stdout.write.bind(process.stdout);
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (text.includes('"_aws"')) {
        lines.push(...text.split('\n').filter((line) => line.includes('"_aws"')));
        return true;
      }
      return (write as (chunk: string | Uint8Array, ...rest: unknown[]) => boolean)(chunk, ...rest);
    });
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    await fleet?.stop();
    await stack?.stop();
  });

  const documents = (): EmfDocument[] => lines.map((line) => JSON.parse(line) as EmfDocument);
  const emitted = (metric: string, service: string): EmfDocument[] =>
    documents().filter((doc) => doc['service'] === service && doc._aws.CloudWatchMetrics.some((set) => set.Namespace === FOTA_METRICS_NAMESPACE && set.Metrics.some((m) => m.Name === metric && m.Unit === 'Count')));

  it('an aborted campaign emits CampaignsAborted once, in EMF under the dimension the alarm names', async () => {
    const model = 'MET-1';
    fleet = new Fleet({ size: 2, serverPort: stack.edge.address.port, endpointPrefix: 'met-1', deviceOptions: () => ({ model, firmwareVersion: '1.0.0', updateFailure: 8 }) });
    await fleet.start();
    await expect.poll(async () => (await stack.stores.registrations.list()).filter((d) => d.model === model).length, { timeout: 10_000 }).toBe(2);
    const image = await stack.stores.images.store({ version: '1.1.0', models: [model] }, buildFirmwarePackage('1.1.0', 1024));
    const campaign = await launchCampaign(stack.stores, stack.stepFunctions, {
      name: 'bad build', imageId: image.imageId, target: { model }, cohorts: [{ percent: 100 }], abortFailurePercent: 10, retry: {}, pollSeconds: 1, installTimeoutSeconds: 20,
    });
    await stack.stepFunctions.executions.get(campaign.executionId)?.done;
    expect((await stack.stores.campaigns.get(campaign.campaignId))?.status).toBe('ABORTED');

    const aborted = emitted(FotaMetric.CampaignsAborted, FotaMetricService.Workflow);
    expect(aborted).toHaveLength(1);
    expect(aborted[0]?.[FotaMetric.CampaignsAborted]).toBe(1);
    expect(aborted[0]?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service']]);
  });

  it('the edge flushes the increase of its counters (registrations, blocks, job writes, DTLS) as EMF', () => {
    stack.edge.metrics.flush();
    const [edge] = emitted(FotaMetric.BlocksServed, FotaMetricService.Edge);
    expect(edge?.[FotaMetric.Registrations]).toBeGreaterThanOrEqual(2);
    expect(edge?.[FotaMetric.BlocksServed]).toBeGreaterThan(0);
    expect(edge?.[FotaMetric.JobTransitions]).toBeGreaterThan(0);
    expect(edge?.[FotaMetric.HandshakesRejected]).toBe(0);
    // The next flush carries only what happened since: nothing.
    stack.edge.metrics.flush();
    expect(emitted(FotaMetric.BlocksServed, FotaMetricService.Edge).at(-1)?.[FotaMetric.BlocksServed]).toBe(0);
  });
});
