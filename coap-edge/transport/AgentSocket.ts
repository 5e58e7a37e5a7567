/**
 * The socket node-coap's Agent sees: it sends through the transport's real socket, and receives
 * only what the transport hands it (responses, empty ACKs, RSTs), so a malformed request can never
 * reach library code. The Agent shares the server's socket this way, so a device behind NAT sees
 * one server address.
 */
import type { RemoteInfo } from 'node:dgram';
import { EventEmitter } from 'node:events';
import type { DatagramSocket } from './transportTypes.ts';

export class AgentSocket extends EventEmitter {
  readonly type = 'udp4';
  private socket: DatagramSocket | undefined;
  /** The socket's address, asked of the kernel once: node-coap asks for it on every message. */
  private boundAddress: ReturnType<DatagramSocket['address']> | undefined;

  /** True between the transport's start and stop. */
  get attached(): boolean {
    return this.socket !== undefined;
  }

  attach(socket: DatagramSocket): void {
    this.socket = socket;
    this.boundAddress = undefined;
  }

  detach(): void {
    this.socket = undefined;
    this.boundAddress = undefined;
  }

  deliver(message: Buffer, remote: RemoteInfo): void {
    try {
      this.emit('message', message, remote);
    } catch {
      // node-coap threw on a response it could not handle; the exchange times out instead.
    }
  }

  address(): ReturnType<DatagramSocket['address']> {
    if (this.socket === undefined) return { address: '0.0.0.0', family: 'IPv4', port: 0 };
    this.boundAddress ??= this.socket.address();
    return this.boundAddress;
  }

  send(buffer: Buffer, offset: number, length: number, port: number, address: string, callback?: (error: Error | null) => void): void {
    if (this.socket === undefined) {
      callback?.(new Error('socket closed'));
      return;
    }
    this.socket.send(buffer, offset, length, port, address, callback);
  }

  /** Sends one of the transport's own datagrams through the real socket; false when it is closed. `unsent` hears whether it left. */
  sendDatagram(datagram: Buffer, peer: { readonly address: string; readonly port: number }, unsent: (error: Error | null) => void): boolean {
    if (this.socket === undefined) return false;
    this.socket.send(datagram, 0, datagram.length, peer.port, peer.address, unsent);
    return true;
  }

  close(): void {
    // The transport owns the real socket.
  }
}
