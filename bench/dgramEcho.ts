/**
 * The floor of the Block2 comparison: a raw Node dgram server in its own process that answers each
 * datagram with one of the size of a firmware block reply, its CoAP header and token copied from
 * the request and marked as an ACK 2.05 (so the generator accepts it), and nothing else: no
 * parsing, no lookup. Prints its port on stdout.
 */
import { createSocket } from 'node:dgram';

const REPLY_BYTES = Number(process.argv[2] ?? 1060);
const socket = createSocket('udp4');
socket.on('message', (request, remote) => {
  const headerBytes = 4 + ((request[0] ?? 0) & 0x0f);
  const reply = Buffer.allocUnsafe(REPLY_BYTES);
  request.copy(reply, 0, 0, headerBytes);
  reply[0] = 0x60 | ((request[0] ?? 0) & 0x0f); // version 1, ACK, same token length
  reply[1] = 0x45; // 2.05 Content
  reply.fill(0xab, headerBytes);
  socket.send(reply, remote.port, remote.address);
});
socket.bind(0, '127.0.0.1', () => process.stdout.write(`${socket.address().port}\n`));
process.on('SIGTERM', () => socket.close(() => process.exit(0)));
