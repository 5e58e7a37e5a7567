/** What an edge is configured with: its stores, ports, addresses, timings and limits (main.ts reads them once from the environment). */
import type { Stores } from '../store/Stores.ts';
import type { MetricsSink } from '../store/metrics.ts';
import type { ObjectRegistry } from '../core/lwm2m/objectRegistry.ts';
import type { Logger } from './logger.ts';
import type { TaskTokenSender } from './jobs/PhaseWaker.ts';
import type { Block1ReceiverOptions } from './transport/Block1Receiver.ts';

export interface EdgeOptions {
  readonly stores: Stores;
  readonly taskId: string;
  readonly port: number;
  /** UDP port of CoAPS (DTLS 1.2 PSK); no DTLS listener when absent. */
  readonly securePort?: number;
  /** Host:port devices use in CoAPS Package URIs; defaults to the bound secure address. */
  readonly publicSecureHost?: string;
  /** Serve NoSec CoAP on `port` as well. @default true */
  readonly allowNoSec?: boolean;
  readonly bindAddress?: string;
  /** Host (and port) devices use in Package URIs; defaults to the bound address and port. */
  readonly publicHost?: string;
  readonly jobPollIntervalMs?: number;
  readonly requestTimeoutMs?: number;
  /** Wait for the separate response to a request the device acknowledged (RFC 7252 §5.2.2). @default 60 s */
  readonly separateResponseTimeoutMs?: number;
  readonly imageCacheBytes?: number;
  /** How long a queue-mode device listens after it spoke. @default 93 s (MAX_TRANSMIT_WAIT) */
  readonly queueModeAwakeMs?: number;
  /**
   * How long after a device's Register or Update here its registration answers this task's reads
   * without the store (coap-edge/registration/HeardRegistrations.ts); keep it below the balancer's
   * UDP flow idle timeout (NLB: 120 s). @default 60 s
   */
  readonly registrationMemoryMs?: number;
  /** Object models for the codecs: the OMA objects plus any loaded from DDF files. */
  readonly objectRegistry?: ObjectRegistry;
  /**
   * Validity of the presigned S3 URLs given to HTTP(S)-pull devices; 0 turns HTTP pull off.
   * Short, since the URL is a bearer credential for the image. @default 900 s
   */
  readonly httpPackageUrlExpirySeconds?: number;
  /** How long a download or install may go without news before the device is read. @default 15 s */
  readonly stateCheckIntervalMs?: number;
  /** Wait before Execute Update again after the device deferred (Update Result 11). @default 60 s */
  readonly deferRetryMs?: number;
  /** Limits of block-wise request bodies (Register, Update, Send in Block1), on both transports. */
  readonly block1?: Block1ReceiverOptions;
  /** How often the revocation log is polled: a revoked key's sessions end within this plus one read. @default 3 s */
  readonly revocationPollIntervalMs?: number;
  /** Block1 pushes in flight at once. @default 32 */
  readonly pushConcurrency?: number;
  /** How often the edge's counters are emitted as EMF metrics on stdout; 0: never on a timer. @default 60_000 */
  readonly metricsIntervalMs?: number;
  /** Where the edge's metrics go. @default EMF on stdout */
  readonly metricsSink?: MetricsSink;
  /** Ends the campaign workflow's phase waits when this edge's jobs of a cohort are done (jobs/PhaseWaker.ts); without it the workflow polls. */
  readonly taskTokens?: TaskTokenSender;
  readonly logger: Logger;
}
