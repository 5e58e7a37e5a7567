/**
 * What an admitted ClientHello (cookie verified) leads to: the answer to a repeated ClientHello,
 * a refusal when the handshake slots are taken, or a new handshake with its connection ID,
 * session ID and the cached session it resumes. Decided here; DtlsSocket carries it out.
 */
import type { Admission } from './clientHelloAdmission.ts';
import type { PeerTable } from './PeerTable.ts';
import { poolRandom } from './randomPool.ts';
import type { ResumableSession, ResumptionCache } from './ResumptionCache.ts';
import type { ServerHandshake } from './ServerHandshake.ts';
import type { DtlsSocketOptions } from './types.ts';

type Admitted = Extract<Admission, { kind: 'admitted' }>;
type SlotLimits = Required<Pick<DtlsSocketOptions, 'maxHandshakes' | 'maxHandshakesPerSource' | 'maxHandshakesPerSubnet' | 'resumption'>>;

export type HandshakePlan =
  /** The client repeats its ClientHello: our flight was lost (RFC 6347 §4.2.4). */
  | { readonly kind: 'resendFlight'; readonly handshake: ServerHandshake }
  | { readonly kind: 'noSlot' }
  | {
      readonly kind: 'start';
      /** A handshake from the same address the new ClientHello replaces. */
      readonly replacing: ServerHandshake | undefined;
      readonly cid: Buffer | undefined;
      readonly sessionId: Buffer;
      readonly resuming: ResumableSession | undefined;
    };

export function planHandshake(admission: Admitted, address: string, existing: ServerHandshake | undefined, table: PeerTable, resumable: ResumptionCache, limits: SlotLimits): HandshakePlan {
  if (existing !== undefined && existing.clientRandom.equals(admission.hello.random)) return { kind: 'resendFlight', handshake: existing };
  // Slots are bounded per source address and per /24 before the global cap, so one host (or one
  // network) holding every slot it can get leaves room for everybody else's devices.
  if (
    existing === undefined &&
    (table.handshakeCount >= limits.maxHandshakes || table.handshakesFromAddress(address) >= limits.maxHandshakesPerSource || table.handshakesFromSubnet(address) >= limits.maxHandshakesPerSubnet)
  ) {
    return { kind: 'noSlot' };
  }
  const cid = admission.negotiated.peerCid === undefined ? undefined : table.newConnectionId();
  const cached = resumable.find(admission.hello.sessionId);
  // RFC 7627 §5.3: resume only a session whose master secret was derived the same way.
  const resuming = cached?.extendedMasterSecret === admission.negotiated.extendedMasterSecret ? cached : undefined;
  const sessionId = resuming !== undefined ? Buffer.from(admission.hello.sessionId) : limits.resumption ? poolRandom(32) : Buffer.alloc(0);
  return { kind: 'start', replacing: existing, cid, sessionId, resuming };
}
