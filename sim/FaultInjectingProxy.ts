/**
 * A UDP proxy between simulated devices and the edge that misbehaves like a cellular network:
 * it drops, duplicates, reorders and delays datagrams in both directions, and can rebind a
 * client's NAT mapping (the edge then sees the same device from a new source port). Loopback only.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

export interface FaultProfile {
  /** Probability (0..1) that a datagram is dropped. */
  readonly loss?: number;
  /** Probability that a datagram is sent twice. */
  readonly duplication?: number;
  /** Probability that a datagram is held back and sent after the next one. */
  readonly reordering?: number;
  /** Fixed delay in ms, plus up to `jitterMs` random delay. */
  readonly delayMs?: number;
  readonly jitterMs?: number;
}

export interface ProxyStats {
  forwarded: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  rebinds: number;
}

interface Mapping {
  readonly client: RemoteInfo;
  socket: Socket;
  held?: NodeJS.Timeout;
}

export class FaultInjectingProxy {
  readonly stats: ProxyStats = { forwarded: 0, dropped: 0, duplicated: 0, reordered: 0, rebinds: 0 };
  private readonly front = createSocket('udp4');
  /** Datagrams that could not be forwarded (a flow's socket failed to bind): kept for the test to assert on. */
  readonly forwardingErrors: unknown[] = [];
  private readonly mappings = new Map<string, Mapping>();
  private closed = false;

  constructor(
    private readonly upstream: { readonly address: string; readonly port: number },
    private profile: FaultProfile,
    private readonly random: () => number = Math.random,
  ) {}

  async start(): Promise<number> {
    this.front.on('message', (message, client) => {
      this.fromClient(message, client).catch((error: unknown) => this.forwardingErrors.push(error));
    });
    await new Promise<void>((resolve) => this.front.bind(0, '127.0.0.1', resolve));
    return this.front.address().port;
  }

  setProfile(profile: FaultProfile): void {
    this.profile = profile;
  }

  /** Gives every client (or one) a new upstream source port, as a NAT that forgot its mapping. */
  async rebind(clientPort?: number): Promise<void> {
    for (const [key, mapping] of this.mappings) {
      if (clientPort !== undefined && mapping.client.port !== clientPort) continue;
      const old = mapping.socket;
      mapping.socket = await this.openUpstream(mapping.client);
      old.close();
      this.stats.rebinds++;
      this.mappings.set(key, mapping);
    }
  }

  async stop(): Promise<void> {
    this.closed = true;
    for (const mapping of this.mappings.values()) {
      clearTimeout(mapping.held);
      mapping.socket.close();
    }
    this.mappings.clear();
    await new Promise<void>((resolve) => this.front.close(() => resolve()));
  }

  private async fromClient(message: Buffer, client: RemoteInfo): Promise<void> {
    const key = `${client.address}:${client.port}`;
    let mapping = this.mappings.get(key);
    if (mapping === undefined) {
      mapping = { client, socket: await this.openUpstream(client) };
      this.mappings.set(key, mapping);
    }
    const socket = mapping.socket;
    this.deliver(message, (bytes) => socket.send(bytes, this.upstream.port, this.upstream.address, () => undefined));
  }

  private async openUpstream(client: RemoteInfo): Promise<Socket> {
    const socket = createSocket('udp4');
    socket.on('message', (message) => this.deliver(message, (bytes) => this.front.send(bytes, client.port, client.address, () => undefined)));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return socket;
  }

  /** Applies the fault profile to one datagram. */
  private deliver(message: Buffer, send: (bytes: Buffer) => void): void {
    if (this.closed) return;
    const p = this.profile;
    if (this.random() < (p.loss ?? 0)) {
      this.stats.dropped++;
      return;
    }
    const copies = this.random() < (p.duplication ?? 0) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    let delay = (p.delayMs ?? 0) + this.random() * (p.jitterMs ?? 0);
    if (this.random() < (p.reordering ?? 0)) {
      // Held back long enough for a later datagram to overtake it.
      delay += 20 + this.random() * 30;
      this.stats.reordered++;
    }
    for (let i = 0; i < copies; i++) {
      this.stats.forwarded++;
      if (delay <= 0 && i === 0) send(message);
      else setTimeout(() => !this.closed && send(message), delay + i * 5).unref();
    }
  }
}
