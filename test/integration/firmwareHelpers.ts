/** Helpers of the firmware delivery tests: jobs handed straight to the edge, and waiting on them. */
import { randomBytes, randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { generate, parse, type ParsedPacket } from 'coap-packet';
import { jobKeyFor, type FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import { CampaignStatus } from '../../core/campaign/Campaign.ts';
import { JobStatus, isAttemptOver } from '../../core/jobs/jobStateMachine.ts';
import { encodeBlockOption } from '../../core/lwm2m/blockwise.ts';
import type { LocalStack } from '../../local/LocalStack.ts';
import { SimulatedDevice, type SimulatedDeviceOptions } from '../../sim/SimulatedDevice.ts';
import { packageTokenFields } from '../../core/jobs/packageToken.ts';

/**
 * A READY job owned by the local edge, as StartDownloadPhase leaves it, in a RUNNING campaign of
 * its own whose install is requested too (unless `install` is false: the edge then stops at
 * DOWNLOADED).
 */
export async function startJob(stack: LocalStack, endpoint: string, image: { imageId: string; version: string }, extra: Partial<FirmwareJob> = {}, install = true): Promise<FirmwareJob> {
  const now = Date.now();
  const campaignId = `direct-${randomUUID()}`;
  const job: FirmwareJob = {
    campaignId,
    jobKey: jobKeyFor(0, endpoint),
    endpoint,
    cohort: 0,
    status: JobStatus.Ready,
    version: 1,
    attempt: 0,
    imageId: image.imageId,
    targetVersion: image.version,
    ...packageTokenFields({ campaignId, jobKey: jobKeyFor(0, endpoint) }, randomBytes(12).toString('base64url')),
    ownerTask: 'local-edge-1',
    deadline: now + 120_000,
    createdAt: now,
    updatedAt: now,
    history: [],
    ...extra,
  };
  await stack.stores.campaigns.create({
    campaignId: job.campaignId,
    name: job.campaignId,
    imageId: job.imageId,
    target: {},
    cohortPercentages: [100],
    pollSeconds: 30,
    downloadTimeoutSeconds: 120,
    installTimeoutSeconds: 120,
    abortFailurePercent: 100,
    status: CampaignStatus.Running,
    targetVersion: job.targetVersion,
    ...(install ? { installRequestedAt: { [String(job.cohort)]: now } } : {}),
    createdAt: now,
    updatedAt: now,
  });
  await stack.stores.jobs.createJobs([job]);
  return job;
}

export async function waitForJob(stack: LocalStack, job: FirmwareJob, done: (job: FirmwareJob) => boolean = (j) => isAttemptOver(j.status), timeoutMs = 30_000): Promise<FirmwareJob> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = await stack.stores.jobs.get(job.campaignId, job.jobKey);
    if (current !== undefined && done(current)) return current;
    if (Date.now() > deadline) throw new Error(`job of ${job.endpoint} is ${current?.status ?? 'gone'} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts simulated devices and waits until the edge has read their device facts. */
export async function startDevices(stack: LocalStack, options: readonly Omit<SimulatedDeviceOptions, 'serverPort'>[]): Promise<SimulatedDevice[]> {
  const devices = options.map((o) => new SimulatedDevice({ ...o, serverPort: stack.edge.address.port }));
  await Promise.all(devices.map((device) => device.start()));
  const deadline = Date.now() + 15_000;
  for (const device of devices) {
    while ((await stack.stores.registrations.get(device.endpoint))?.model === undefined) {
      if (Date.now() > deadline) throw new Error(`${device.endpoint} never got its device facts read`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return devices;
}

/** One Block2 GET of /fw/<token> from a fresh socket and token (bounded wait). */
export async function getBlock(port: number, token: string, num = 0, szx = 6): Promise<ParsedPacket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  try {
    const messageId = Math.floor(Math.random() * 0xffff);
    const request = generate({
      code: 'GET',
      confirmable: true,
      messageId,
      token: randomBytes(4),
      options: [
        { name: 'Uri-Path', value: Buffer.from('fw') },
        { name: 'Uri-Path', value: Buffer.from(token) },
        { name: 'Block2', value: encodeBlockOption({ num, more: false, szx }) },
      ],
    });
    return await new Promise<ParsedPacket>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no reply')), 3_000);
      socket.on('message', (message) => {
        const reply = parse(message);
        if (reply.messageId !== messageId) return;
        clearTimeout(timer);
        resolve(reply);
      });
      socket.send(request, port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}
