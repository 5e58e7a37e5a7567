/**
 * Numbers from the DTLS 1.2 and TLS 1.2 registries, named as the RFCs name them.
 */

/** RFC 5246 §6.2.1, plus tls12_cid from RFC 9146 §4. */
export const ContentType = {
  ChangeCipherSpec: 20,
  Alert: 21,
  Handshake: 22,
  ApplicationData: 23,
  Tls12Cid: 25,
} as const;
export type ContentType = (typeof ContentType)[keyof typeof ContentType];

/** RFC 5246 §7.4 and RFC 6347 §4.3.2 (hello_verify_request). */
export const HandshakeType = {
  HelloRequest: 0,
  ClientHello: 1,
  ServerHello: 2,
  HelloVerifyRequest: 3,
  ServerKeyExchange: 12,
  ServerHelloDone: 14,
  ClientKeyExchange: 16,
  Finished: 20,
} as const;
export type HandshakeType = (typeof HandshakeType)[keyof typeof HandshakeType];

/** RFC 5246 §7.2. */
export const AlertLevel = { Warning: 1, Fatal: 2 } as const;
export type AlertLevel = (typeof AlertLevel)[keyof typeof AlertLevel];

/** RFC 5246 §7.2, plus unknown_psk_identity from RFC 4279 §2. */
export const AlertDescription = {
  CloseNotify: 0,
  UnexpectedMessage: 10,
  BadRecordMac: 20,
  HandshakeFailure: 40,
  IllegalParameter: 47,
  DecodeError: 50,
  DecryptError: 51,
  ProtocolVersion: 70,
  InternalError: 80,
  UnknownPskIdentity: 115,
} as const;
export type AlertDescription = (typeof AlertDescription)[keyof typeof AlertDescription];

/** Wire values of ProtocolVersion (RFC 6347 §4.1: the one's complement of 1.0 and 1.2). */
export const DTLS_1_0 = 0xfeff;
export const DTLS_1_2 = 0xfefd;

/** RFC 6655 §4 (TLS_PSK_WITH_AES_128_CCM_8), the LwM2M mandatory suite. */
export const TLS_PSK_WITH_AES_128_CCM_8 = 0xc0a8;
/** RFC 5746 §3.3: offered instead of an empty renegotiation_info extension. */
export const TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff;

/** RFC 6066, 7627, 9146, 5746 extension types we read or write. */
export const ExtensionType = {
  ExtendedMasterSecret: 23,
  ConnectionId: 54,
  RenegotiationInfo: 0xff01,
} as const;

/** RFC 6347 §4.1: records are at most 2^14 bytes of plaintext, plus 2048 of expansion. */
export const MAX_PLAINTEXT_LENGTH = 16_384;
export const MAX_CIPHERTEXT_LENGTH = MAX_PLAINTEXT_LENGTH + 2048;
/** RFC 6347 §4.1: sequence numbers are 48 bits and must not wrap. */
export const MAX_SEQUENCE_NUMBER = 2 ** 48 - 1;
/** DTLS record header: type, version, epoch, sequence_number, length (RFC 6347 §4.1). */
export const RECORD_HEADER_LENGTH = 13;
/** DTLS handshake header: msg_type, length, message_seq, fragment_offset, fragment_length (§4.2.2). */
export const HANDSHAKE_HEADER_LENGTH = 12;
