/**
 * A hand-driven CoAP endpoint on loopback for tests that need exact control over what the edge
 * receives: one socket (one source port), CON requests with bounded waits, and an automatic 4.04
 * for any request the edge sends it, so no edge request waits for its timeout.
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { generate, parse, type NamedOption, type Packet, type ParsedPacket } from 'coap-packet';

export class RawCoapClient {
  /** Every request the edge sent to this client (each answered 4.04). */
  readonly requestsReceived: ParsedPacket[] = [];

  private constructor(
    private readonly socket: Socket,
    private readonly serverPort: number,
  ) {
    socket.on('message', (message) => {
      let packet: ParsedPacket;
      try {
        packet = parse(message);
      } catch {
        return;
      }
      if (packet.confirmable && packet.code.startsWith('0.') && packet.code !== '0.00') {
        this.requestsReceived.push(packet);
        this.socket.send(generate({ code: '4.04', ack: true, messageId: packet.messageId, token: packet.token }), this.serverPort, '127.0.0.1');
      }
    });
  }

  /** `localPort`: the source port to use (a port another client just let go); any free one by default. */
  static async open(serverPort: number, localPort = 0): Promise<RawCoapClient> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(localPort, '127.0.0.1', resolve));
    return new RawCoapClient(socket, serverPort);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(datagram: Buffer): void {
    this.socket.send(datagram, this.serverPort, '127.0.0.1');
  }

  /**
   * Sends one CON request and returns the reply to it (bounded wait), retransmitting it like a
   * CoAP client does (RFC 7252 §4.2, here every `retransmitMs`) in case a datagram was lost.
   */
  exchange(packet: Packet, timeoutMs = 3000, retransmitMs = 500): Promise<ParsedPacket> {
    const messageId = Math.floor(Math.random() * 65535);
    const bytes = generate({ confirmable: true, messageId, token: randomBytes(4), ...packet });
    return new Promise<ParsedPacket>((resolve, reject) => {
      const resend = setInterval(() => this.send(bytes), retransmitMs);
      const timer = setTimeout(() => {
        clearInterval(resend);
        this.socket.off('message', onMessage);
        reject(new Error(`no reply to ${String(packet.code)} within ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (message: Buffer): void => {
        let reply: ParsedPacket;
        try {
          reply = parse(message);
        } catch {
          return;
        }
        if (reply.messageId !== messageId || !reply.ack) return;
        clearTimeout(timer);
        clearInterval(resend);
        this.socket.off('message', onMessage);
        resolve(reply);
      };
      this.socket.on('message', onMessage);
      this.send(bytes);
    });
  }

  register(query: readonly string[], links = '</1/0>,</3/0>,</5/0>'): Promise<ParsedPacket> {
    return this.exchange({
      code: 'POST',
      options: [uriPath('rd'), ...query.map((q) => ({ name: 'Uri-Query' as const, value: Buffer.from(q) })), { name: 'Content-Format', value: Buffer.from([40]) }],
      payload: Buffer.from(links),
    });
  }

  /** Update (POST /rd/{id}) with optional query parameters and object links. */
  update(location: readonly Buffer[], query: readonly string[] = [], links?: string): Promise<ParsedPacket> {
    return this.exchange({
      code: 'POST',
      options: [
        ...location.map((value) => ({ name: 'Uri-Path' as const, value })),
        ...query.map((q) => ({ name: 'Uri-Query' as const, value: Buffer.from(q) })),
        ...(links === undefined ? [] : [{ name: 'Content-Format' as const, value: Buffer.from([40]) }]),
      ],
      ...(links === undefined ? {} : { payload: Buffer.from(links) }),
    });
  }

  deregister(location: readonly Buffer[]): Promise<ParsedPacket> {
    return this.exchange({ code: 'DELETE', options: location.map((value) => ({ name: 'Uri-Path' as const, value })) });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

export function uriPath(segment: string): NamedOption {
  return { name: 'Uri-Path', value: Buffer.from(segment) };
}

export function locationOf(reply: ParsedPacket): Buffer[] {
  return reply.options.filter((o) => o.name === 'Location-Path').map((o) => o.value);
}
