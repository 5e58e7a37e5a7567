/**
 * Where a received record goes (RFC 6347 §4.1, RFC 9146 §6): records carrying a connection ID
 * by that ID, a fresh ClientHello to the stateless front door, anything else by source address.
 * Epoch 0 records are unauthenticated: they may reach a handshake, never a session.
 */
import type { RemoteInfo } from 'node:dgram';
import { ContentType, HandshakeType } from './constants.ts';
import type { PeerTable } from './PeerTable.ts';
import type { DtlsRecord } from './record.ts';
import { ServerHandshake } from './ServerHandshake.ts';
import { Session } from './Session.ts';

export type RecordRoute =
  | { readonly kind: 'session'; readonly session: Session }
  | { readonly kind: 'handshake'; readonly handshake: ServerHandshake }
  | { readonly kind: 'clientHello' }
  | { readonly kind: 'drop' };

const DROP: RecordRoute = { kind: 'drop' };
const CLIENT_HELLO: RecordRoute = { kind: 'clientHello' };

export function routeRecord(record: DtlsRecord, remote: RemoteInfo, table: PeerTable): RecordRoute {
  if (record.type === ContentType.Tls12Cid) {
    const target = record.cid === undefined ? undefined : table.byConnectionId(record.cid);
    if (target instanceof Session) return { kind: 'session', session: target };
    // A handshake's connection ID counts only from the address the handshake started at.
    if (target instanceof ServerHandshake && target.peer.address === remote.address && target.peer.port === remote.port) return { kind: 'handshake', handshake: target };
    return DROP;
  }
  if (record.epoch === 0 && record.type === ContentType.Handshake && record.fragment[0] === HandshakeType.ClientHello) return CLIENT_HELLO;
  const handshake = table.handshakeAt(remote.address, remote.port);
  if (handshake !== undefined && (record.epoch === 0 || record.type === ContentType.Handshake)) return { kind: 'handshake', handshake };
  const session = table.sessionAt(remote.address, remote.port);
  return session !== undefined && record.epoch !== 0 ? { kind: 'session', session } : DROP;
}
