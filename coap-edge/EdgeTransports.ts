/**
 * The edge's two transports: CoAP (NoSec) on `port` and, when `securePort` is set, CoAPS on a
 * DTLS 1.2 PSK socket (dtls/), whose sessions name the PSK identity of each secure request and
 * end when their key is revoked or replaced (RevocationWatcher). Device requests go out through
 * `router`, on the transport each device registered over.
 */
import { DtlsSocket } from '../dtls/DtlsSocket.ts';
import type { DtlsStats } from '../dtls/types.ts';
import type { Stores } from '../store/Stores.ts';
import { RevocationWatcher } from './credentials/RevocationWatcher.ts';
import type { EdgeOptions } from './EdgeOptions.ts';
import { CoapTransport, type CoapTransportOptions, type InboundHandler, type Peer } from './transport/CoapTransport.ts';
import { TransportRouter } from './transport/TransportRouter.ts';

/** The bound addresses: CoAP, and CoAPS when DTLS is on. */
export interface EdgeAddresses {
  readonly plain: Peer;
  readonly secure: Peer | undefined;
}

const NOSEC_DISABLED = { code: '4.03', payload: Buffer.from('NoSec is disabled: use CoAPS') };

export class EdgeTransports {
  readonly plain: CoapTransport;
  readonly secure: CoapTransport | undefined;
  readonly router: TransportRouter;
  private dtls: DtlsSocket | undefined;
  private revocations: RevocationWatcher | undefined;

  constructor(private readonly options: EdgeOptions) {
    const { logger, stores } = options;
    const common: Omit<CoapTransportOptions, 'port'> = {
      ...(options.bindAddress === undefined ? {} : { address: options.bindAddress }),
      requestTimeoutMs: options.requestTimeoutMs ?? 20_000,
      ...(options.block1 === undefined ? {} : { block1: options.block1 }),
      ...(options.separateResponseTimeoutMs === undefined ? {} : { separateResponseTimeoutMs: options.separateResponseTimeoutMs }),
    };
    this.plain = new CoapTransport({ ...common, port: options.port, onError: (error, context) => logger.warn('transport error', { context, error }) });
    this.secure =
      options.securePort === undefined
        ? undefined
        : new CoapTransport({
            ...common,
            port: options.securePort,
            onError: (error, context) => logger.warn('secure transport error', { context, error }),
            socketFactory: () => this.openDtls(stores),
            securityFor: (peer) => {
              const session = this.dtls?.sessionFor(peer.address, peer.port);
              return session === undefined ? undefined : { pskIdentity: session.identity };
            },
          });
    this.router = new TransportRouter(this.plain, this.secure, (peer) => this.dtls?.sessionFor(peer.address, peer.port) !== undefined);
  }

  /** Counters of the DTLS socket (handshakes), when DTLS is on and started. */
  get dtlsStats(): DtlsStats | undefined {
    return this.dtls?.stats;
  }

  /** Hands every request, on both transports, to `handler` (NoSec ones refused when NoSec is off). */
  serve(handler: InboundHandler): void {
    this.plain.onRequest((request) => (this.options.allowNoSec === false ? Promise.resolve(NOSEC_DISABLED) : handler(request)));
    this.secure?.onRequest(handler);
  }

  async start(): Promise<EdgeAddresses> {
    const plain = await this.plain.start();
    if (this.secure === undefined) return { plain, secure: undefined };
    await this.watchRevocations();
    return { plain, secure: await this.secure.start() };
  }

  async stop(): Promise<void> {
    await this.revocations?.stop();
    await this.plain.stop();
    await this.secure?.stop();
  }

  /** Gives up requests waiting at a device's old address on both transports; how many. */
  abandonPeer(old: Peer, reason: string): number {
    return this.plain.abandonPeer(old, reason) + (this.secure?.abandonPeer(old, reason) ?? 0);
  }

  /** Forgets what both transports kept for an address now taken by another endpoint. */
  forgetPeer(peer: Peer, reason: string): void {
    this.plain.forgetPeer(peer, reason);
    this.secure?.forgetPeer(peer, reason);
  }

  private openDtls(stores: Stores): DtlsSocket {
    // PSKs come decrypted from the credential store for the handshake only; never logged.
    this.dtls = new DtlsSocket({ pskLookup: (identity) => stores.credentials.pskFor(identity.toString('utf8')) });
    return this.dtls;
  }

  /** Revoked or replaced keys end their live DTLS sessions: at once for this process's own store, by polling for the others'. */
  private async watchRevocations(): Promise<void> {
    const { stores, logger } = this.options;
    this.revocations = new RevocationWatcher({
      revocationLog: () => stores.credentials.revocationLog(),
      revoke: (identity) => this.dtls?.revoke(identity),
      revokeAll: () => this.dtls?.revokeAll(),
      pollIntervalMs: this.options.revocationPollIntervalMs ?? 3_000,
      logger,
    });
    await this.revocations.start();
    stores.credentials.onRevoked((identity) => this.dtls?.revoke(identity));
  }
}
