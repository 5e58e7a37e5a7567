/**
 * A local model of the Network Load Balancer in front of the edge tasks (ARCHITECTURE.md,
 * "Reaching devices"): a UDP flow (client address and port) sticks to one target while packets
 * keep coming; after `idleTimeoutMs` without traffic (120 s on AWS) the flow is forgotten, and
 * the client's next datagram may be hashed to another target. Only the target that holds a live
 * flow can reach the client: a reply from any other target is dropped, as on the real NLB.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { fnv1a } from '../core/campaign/hashOrder.ts';

export interface BalancerTarget {
  readonly address: string;
  readonly port: number;
}

interface Flow {
  readonly client: RemoteInfo;
  readonly target: BalancerTarget;
  readonly socket: Socket;
  lastSeen: number;
}

export interface BalancerStats {
  flowsCreated: number;
  flowsExpired: number;
  reroutes: number;
  toTargets: number;
  toClients: number;
}

export class UdpBalancer {
  readonly stats: BalancerStats = { flowsCreated: 0, flowsExpired: 0, reroutes: 0, toTargets: 0, toClients: 0 };
  private readonly front = createSocket('udp4');
  /** Datagrams that could not be forwarded (a flow's socket failed to bind): kept for the test to assert on. */
  readonly forwardingErrors: unknown[] = [];
  private readonly flows = new Map<string, Flow>();
  /** Target index each client was last routed to, to count re-routes. */
  private readonly lastTarget = new Map<string, string>();
  private sweeper: NodeJS.Timeout | undefined;
  /** Flows each client has had: a new flow after an idle timeout may hash to another target. */
  private readonly epochs = new Map<string, number>();

  constructor(
    private readonly targets: readonly BalancerTarget[],
    private readonly idleTimeoutMs = 120_000,
  ) {
    if (targets.length === 0) throw new RangeError('a balancer needs at least one target');
  }

  async start(port = 0): Promise<number> {
    this.front.on('message', (message, client) => {
      this.fromClient(message, client).catch((error: unknown) => this.forwardingErrors.push(error));
    });
    await new Promise<void>((resolve) => this.front.bind(port, '127.0.0.1', resolve));
    this.sweeper = setInterval(() => this.expireIdleFlows(), Math.max(50, Math.min(1000, this.idleTimeoutMs / 4))).unref();
    return this.front.address().port;
  }

  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    for (const flow of this.flows.values()) flow.socket.close();
    this.flows.clear();
    await new Promise<void>((resolve) => this.front.close(() => resolve()));
  }

  /** The target a client's flow is on now, if it has a live flow. */
  targetOf(clientPort: number): BalancerTarget | undefined {
    return [...this.flows.values()].find((flow) => flow.client.port === clientPort)?.target;
  }

  /** Forgets every flow now (as if all were idle past the timeout); new flows hash differently. */
  expireAll(): void {
    for (const [key, flow] of this.flows) this.expire(key, flow);
  }

  private async fromClient(message: Buffer, client: RemoteInfo): Promise<void> {
    const key = `${client.address}:${client.port}`;
    let flow = this.flows.get(key);
    if (flow === undefined) {
      const target = this.pick(key);
      const socket = createSocket('udp4');
      const created: Flow = { client, target, socket, lastSeen: Date.now() };
      socket.on('message', (reply, from) => {
        // Return traffic of this flow only: from its own target, while the flow lives.
        if (from.port !== target.port || this.flows.get(key) !== created) return;
        created.lastSeen = Date.now();
        this.stats.toClients++;
        this.front.send(reply, client.port, client.address, () => undefined);
      });
      socket.on('error', () => undefined);
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      flow = created;
      this.flows.set(key, flow);
      this.stats.flowsCreated++;
      const targetKey = `${target.address}:${target.port}`;
      const previous = this.lastTarget.get(key);
      if (previous !== undefined && previous !== targetKey) this.stats.reroutes++;
      this.lastTarget.set(key, targetKey);
    }
    flow.lastSeen = Date.now();
    this.stats.toTargets++;
    flow.socket.send(message, flow.target.port, flow.target.address, () => undefined);
  }

  /**
   * The flow hash. AWS does not promise that a flow re-created after the idle timeout returns to
   * the same target (targets come and go); this model salts the hash with the client's flow count,
   * so a re-created flow lands elsewhere about half the time with two targets.
   */
  private pick(key: string): BalancerTarget {
    const epoch = this.epochs.get(key) ?? 0;
    this.epochs.set(key, epoch + 1);
    return this.targets[fnv1a(`${key}#${epoch}`) % this.targets.length] as BalancerTarget;
  }

  private expireIdleFlows(): void {
    const cutoff = Date.now() - this.idleTimeoutMs;
    for (const [key, flow] of this.flows) if (flow.lastSeen < cutoff) this.expire(key, flow);
  }

  private expire(key: string, flow: Flow): void {
    this.flows.delete(key);
    flow.socket.close();
    this.stats.flowsExpired++;
  }
}
