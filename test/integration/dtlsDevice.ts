/**
 * A CoAP client over DTLS 1.2 PSK on node-dtls-client (a third-party DTLS stack), driven by hand
 * for tests that keep one session alive: CON requests with bounded waits, an automatic 4.04 for
 * any request the edge sends it, and `closed` for the end of its session.
 */
import { randomBytes } from 'node:crypto';
import { dtls } from 'node-dtls-client';
import { generate, parse, type Packet, type ParsedPacket } from 'coap-packet';

export class DtlsCoapDevice {
  /** Resolves when the session ends: a close_notify from the edge, or our own close. */
  readonly closed: Promise<void>;
  /** Requests the edge sent over this session. */
  requestsFromEdge = 0;
  private ended = false;

  private constructor(private readonly socket: dtls.Socket) {
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.ended = true;
        resolve();
      }),
    );
    socket.on('message', (message: Buffer) => {
      let packet: ParsedPacket;
      try {
        packet = parse(message);
      } catch {
        return;
      }
      if (packet.confirmable && packet.code.startsWith('0.') && packet.code !== '0.00') {
        this.requestsFromEdge++;
        socket.send(generate({ code: '4.04', ack: true, messageId: packet.messageId, token: packet.token }));
      }
    });
  }

  /** Handshakes with `identity` and `key` (the key as text, as node-dtls-client takes it). */
  static connect(port: number, identity: string, key: string): Promise<DtlsCoapDevice> {
    const socket = dtls.createSocket({ type: 'udp4', address: '127.0.0.1', port, psk: { [identity]: key }, timeout: 5_000, ciphers: ['TLS_PSK_WITH_AES_128_CCM_8'] });
    return new Promise((resolve, reject) => {
      socket.once('connected', () => resolve(new DtlsCoapDevice(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends one CON request and returns the piggybacked reply (bounded wait). */
  exchange(packet: Packet, timeoutMs = 5_000): Promise<ParsedPacket> {
    const messageId = Math.floor(Math.random() * 65535);
    const bytes = generate({ confirmable: true, messageId, token: randomBytes(4), ...packet });
    return new Promise<ParsedPacket>((resolve, reject) => {
      const timer = setTimeout(() => {
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
        this.socket.off('message', onMessage);
        resolve(reply);
      };
      this.socket.on('message', onMessage);
      this.socket.send(bytes);
    });
  }

  register(endpoint: string): Promise<ParsedPacket> {
    return this.exchange({
      code: 'POST',
      options: [
        { name: 'Uri-Path', value: Buffer.from('rd') },
        ...[`ep=${endpoint}`, 'lt=300', 'lwm2m=1.1'].map((q) => ({ name: 'Uri-Query' as const, value: Buffer.from(q) })),
        { name: 'Content-Format', value: Buffer.from([40]) },
      ],
      payload: Buffer.from('</1/0>,</3/0>,</5/0>'),
    });
  }

  deregister(location: readonly Buffer[]): Promise<ParsedPacket> {
    return this.exchange({ code: 'DELETE', options: location.map((value) => ({ name: 'Uri-Path' as const, value })) });
  }

  close(): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
