/**
 * What the server answers to a verified ClientHello (RFC 5246 §7.4.1.3): the one cipher suite,
 * and the extensions it echoes: extended_master_secret (RFC 7627 §5.1), renegotiation_info
 * (RFC 5746 §3.6, which OpenSSL 3 clients insist on), connection_id (RFC 9146 §3).
 */
import { AlertDescription, DTLS_1_2, ExtensionType, TLS_EMPTY_RENEGOTIATION_INFO_SCSV, TLS_PSK_WITH_AES_128_CCM_8 } from './constants.ts';
import { DtlsAlertError, DtlsDecodeError } from './errors.ts';
import { encodeConnectionIdExtension, parseConnectionIdExtension, type ClientHello } from './helloMessages.ts';

export interface Negotiated {
  readonly cipherSuite: number;
  readonly extendedMasterSecret: boolean;
  /** The CID the client wants in our records; undefined when it did not offer RFC 9146. */
  readonly peerCid: Buffer | undefined;
  readonly secureRenegotiation: boolean;
}

export type NegotiationResult = { readonly success: true; readonly data: Negotiated } | { readonly success: false; readonly error: DtlsAlertError };

export function negotiate(hello: ClientHello, connectionIdEnabled: boolean): NegotiationResult {
  // Wire versions are one's complements: a smaller number is a newer version (RFC 6347 §4.1).
  if (hello.version > DTLS_1_2) return fail(AlertDescription.ProtocolVersion, `client offers only version 0x${hello.version.toString(16)}`);
  if (!hello.cipherSuites.includes(TLS_PSK_WITH_AES_128_CCM_8)) return fail(AlertDescription.HandshakeFailure, 'client does not offer TLS_PSK_WITH_AES_128_CCM_8');
  if (!hello.compressionMethods.includes(0)) return fail(AlertDescription.HandshakeFailure, 'client does not offer null compression');
  const renegotiationInfo = hello.extensions.get(ExtensionType.RenegotiationInfo);
  // RFC 5746 §3.6: on an initial handshake renegotiated_connection must be empty.
  if (renegotiationInfo !== undefined && !(renegotiationInfo.length === 1 && renegotiationInfo[0] === 0)) return fail(AlertDescription.HandshakeFailure, 'non-empty renegotiation_info');
  const ems = hello.extensions.get(ExtensionType.ExtendedMasterSecret);
  if (ems !== undefined && ems.length !== 0) return fail(AlertDescription.DecodeError, 'extended_master_secret with data');
  let peerCid: Buffer | undefined;
  const cidExtension = hello.extensions.get(ExtensionType.ConnectionId);
  if (connectionIdEnabled && cidExtension !== undefined) {
    try {
      peerCid = Buffer.from(parseConnectionIdExtension(cidExtension));
    } catch (error) {
      if (error instanceof DtlsDecodeError) return { success: false, error };
      throw error;
    }
  }
  return {
    success: true,
    data: {
      cipherSuite: TLS_PSK_WITH_AES_128_CCM_8,
      extendedMasterSecret: ems !== undefined,
      peerCid,
      secureRenegotiation: renegotiationInfo !== undefined || hello.cipherSuites.includes(TLS_EMPTY_RENEGOTIATION_INFO_SCSV),
    },
  };
}

function fail(description: AlertDescription, message: string): NegotiationResult {
  return { success: false, error: new DtlsAlertError(description, false, message) };
}

/** The ServerHello extensions for what was negotiated; `cid` is the one this server issues. */
export function serverHelloExtensions(negotiated: Negotiated, cid: Buffer | undefined): [number, Buffer][] {
  const extensions: [number, Buffer][] = [];
  if (negotiated.secureRenegotiation) extensions.push([ExtensionType.RenegotiationInfo, Buffer.from([0])]);
  if (negotiated.extendedMasterSecret) extensions.push([ExtensionType.ExtendedMasterSecret, Buffer.alloc(0)]);
  if (negotiated.peerCid !== undefined && cid !== undefined) extensions.push([ExtensionType.ConnectionId, encodeConnectionIdExtension(cid)]);
  return extensions;
}
