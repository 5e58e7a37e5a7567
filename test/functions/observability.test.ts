import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LocalStack } from '../../local/LocalStack.ts';
import { launchCampaign } from '../../functions/api/launchCampaign.ts';
import { createApiHandler, type HttpApiEvent } from '../../functions/api/handler.ts';
import { createFunctionsLogger, untraced } from '../../functions/shared/observability.ts';
import { observedTask } from '../../functions/shared/observedTask.ts';
import type { WorkflowDependencies } from '../../functions/shared/dependencies.ts';
import { finalizeCampaign } from '../../functions/workflow/finalizeCampaign.ts';
import { planCampaign } from '../../functions/workflow/planCampaign.ts';
import { emfMetricsSink } from '../../store/metrics.ts';
import { FOTA_METRICS_NAMESPACE, FotaMetric, FotaMetricService } from '../../core/metrics.ts';
import type { DeviceRegistration } from '../../core/devices/DeviceRegistration.ts';
import { buildFirmwarePackage } from '../../sim/firmwarePackage.ts';

type Line = Record<string, unknown>;

/**
 * Powertools in the functions, through real Loggers and the EMF writer against the local stack's
 * stores: each handler's log line carries its correlation ids under the edge's field names
 * (`time`, `level`, `component`, `message`, `campaignId`, `requestId`), and a workflow metric is
 * printed as EMF. stdout and stderr are captured, as CloudWatch Logs reads them.
 */
describe('logs and metrics of the functions', () => {
  let stack: LocalStack;
  const lines: Line[] = [];

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent', jobPollIntervalMs: 60_000 });
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream);
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
        const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
        const json = text.split('\n').filter((line) => line.startsWith('{'));
        if (json.length === 0) return (write as (chunk: string | Uint8Array, ...rest: unknown[]) => boolean)(chunk, ...rest);
        lines.push(...json.map((line) => JSON.parse(line) as Line));
        return true;
      });
    }
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    await stack?.stop();
  });

  /** The workflow's dependencies with a Logger that prints info lines (the stack's is silent). */
  const verbose = (): WorkflowDependencies => ({ ...stack.stepFunctions.dependencies, logger: createFunctionsLogger('workflow', 'info'), metrics: emfMetricsSink(FotaMetricService.Workflow) });

  async function runningCampaign(model: string): Promise<string> {
    const now = Date.now();
    const registration: DeviceRegistration = {
      endpoint: `${model.toLowerCase()}-0`, registrationId: `${model}-r`, address: '127.0.0.1', port: 43_000, lifetimeSeconds: 3600, lwm2mVersion: '1.1', binding: 'U',
      queueMode: false, objectLinks: ['/3/0', '/5/0'], supportedFormats: [], ownerTask: 'local-edge-1', registeredAt: now, lastSeen: now, model, firmwareVersion: '1.0.0',
    };
    await stack.stores.registrations.put(registration);
    const image = await stack.stores.images.store({ version: '1.1.0', models: [model] }, buildFirmwarePackage('1.1.0', 256));
    const launched = await launchCampaign(stack.stores, { startExecution: () => Promise.resolve({ executionId: 'driven-by-the-test' }) }, { name: model, imageId: image.imageId, target: { model }, pollSeconds: 1 });
    await planCampaign(stack.stepFunctions.dependencies, { campaignId: launched.campaignId });
    return launched.campaignId;
  }

  it("logs a workflow task's end with its campaign id, and prints the aborted campaign's metric as EMF", async () => {
    const campaignId = await runningCampaign('OBS-1');
    await observedTask('finalizeCampaign', finalizeCampaign, verbose())({ campaignId, outcome: 'aborted' });

    const done = lines.filter((line) => line['message'] === 'task done' && line['campaignId'] === campaignId);
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ level: 'info', component: 'workflow', task: 'finalizeCampaign', durationMs: expect.any(Number) });
    expect(Date.parse(String(done[0]?.['time']))).not.toBeNaN();
    const emf = lines.filter((line) => line['_aws'] !== undefined && line[FotaMetric.CampaignsAborted] === 1 && line['service'] === FotaMetricService.Workflow);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ _aws: { CloudWatchMetrics: [{ Namespace: FOTA_METRICS_NAMESPACE, Metrics: [{ Name: FotaMetric.CampaignsAborted, Unit: 'Count' }] }] } });
  });

  it('logs a failed task once, as an error naming the campaign and the error', async () => {
    const task = observedTask('finalizeCampaign', finalizeCampaign, verbose());
    await expect(task({ campaignId: 'obs-no-such-campaign', outcome: 'completed' })).rejects.toThrow('does not exist');
    const failed = lines.filter((line) => line['campaignId'] === 'obs-no-such-campaign');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ level: 'error', component: 'workflow', message: 'task failed', error: { name: 'CampaignNotFoundError' } });
  });

  it("logs an API request with API Gateway's request id and the campaign it is about", async () => {
    const campaignId = await runningCampaign('OBS-2');
    const api = createApiHandler({ stores: stack.stores, starter: stack.stepFunctions, logger: createFunctionsLogger('api', 'info'), tracer: untraced });
    const event = (method: string, rawPath: string, requestId: string, body?: unknown): HttpApiEvent => ({
      rawPath, requestContext: { requestId, http: { method } }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

    const shown = await api(event('GET', `/campaigns/${campaignId}`, 'obs-req-1'));
    expect(shown.statusCode).toBe(200);
    const refused = await api(event('POST', '/campaigns/dry-run', 'obs-req-2', { name: 'typo', imageId: 'x', target: {}, retry: { DEVICE_TIMOUT: { maxAttempts: 2, backoffSeconds: 1 } } }));
    expect(refused.statusCode).toBe(400);

    expect(lines.filter((line) => line['requestId'] === 'obs-req-1')).toEqual([expect.objectContaining({ level: 'info', component: 'api', message: 'api request', campaignId, method: 'GET', status: 200 })]);
    const second = lines.filter((line) => line['requestId'] === 'obs-req-2');
    expect(second).toEqual([expect.objectContaining({ component: 'api', path: '/campaigns/dry-run', status: 400 })]);
    expect(second[0]).not.toHaveProperty('campaignId');
  });
});
