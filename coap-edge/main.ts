/**
 * The edge process (a Fargate task in AWS, a local process at home): wires the stores, the LwM2M
 * server and a health endpoint, like Leshan's server builder. SIGTERM stops taking traffic,
 * answers the health check with 503 so the NLB drains the task, then closes.
 */
import { createServer } from 'node:http';
import { SFNClient } from '@aws-sdk/client-sfn';
import { loadStoreConfig } from '../store/config.ts';
import { createStores } from '../store/Stores.ts';
import { Edge } from './Edge.ts';
import { loadEdgeConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { loadObjectRegistry } from './objects/objectModelFiles.ts';
import { installProcessGuards } from './processGuards.ts';
import { SfnTaskTokens } from './jobs/SfnTaskTokens.ts';

async function main(): Promise<void> {
  const config = loadEdgeConfig();
  const logger = createLogger('edge', config.logLevel);
  const faults = installProcessGuards(logger);
  const stores = createStores(loadStoreConfig());
  const objectRegistry = config.objectModelsDirectory === undefined ? undefined : await loadObjectRegistry(config.objectModelsDirectory);
  const edge = new Edge({
    stores,
    taskId: config.taskId,
    port: config.port,
    ...(config.securePort === undefined ? {} : { securePort: config.securePort }),
    allowNoSec: config.allowNoSec,
    bindAddress: config.bindAddress,
    ...(config.publicHost === undefined ? {} : { publicHost: config.publicHost }),
    // The same host for CoAPS URIs (default port 5684 implied) unless the host names a port.
    ...(config.publicHost === undefined || config.publicHost.includes(':') ? {} : { publicSecureHost: config.publicHost }),
    jobPollIntervalMs: config.jobPollIntervalMs,
    separateResponseTimeoutMs: config.separateResponseSeconds * 1000,
    httpPackageUrlExpirySeconds: config.httpPackageUrlExpirySeconds,
    ...(objectRegistry === undefined ? {} : { objectRegistry }),
    // Ends the campaign workflow's phase waits when this task's jobs of a cohort are done.
    taskTokens: new SfnTaskTokens(new SFNClient({})),
    logger,
  });
  let draining = false;
  const health = createServer((request, response) => {
    if (request.url !== '/health') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(draining ? 503 : 200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ status: draining ? 'draining' : 'ok', taskId: config.taskId, transport: edge.transport.stats, firmware: edge.firmware.stats, pushes: edge.pusher.stats, faults: { ...faults, backgroundRejections: edge.faults.backgroundRejections + edge.jobStats.unexpectedRejections }, jobs: edge.jobStats }));
  });
  await edge.start();
  health.listen(config.healthPort, config.bindAddress);
  const shutdown = (signal: string): void => {
    if (draining) return;
    draining = true;
    logger.info('draining', { signal, graceSeconds: config.drainSeconds });
    edge
      .drain(config.drainSeconds * 1000)
      .then(({ unfinishedSteps }) => logger.info('drained', { unfinishedSteps }))
      .catch((error: unknown) => logger.error('drain failed; stopping anyway', { error }))
      .finally(() => health.close(() => process.exit(0)));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`${JSON.stringify({ level: 'error', message: 'edge failed to start', error: error instanceof Error ? error.message : String(error) })}\n`);
  process.exit(1);
});
