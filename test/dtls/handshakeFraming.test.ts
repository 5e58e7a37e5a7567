import { describe, expect, it } from 'vitest';
import { HandshakeType } from '../../dtls/constants.ts';
import { encodeHandshake, fragmentHandshake, parseHandshakeFragments } from '../../dtls/handshakeFraming.ts';
import { HandshakeReassembler } from '../../dtls/HandshakeReassembler.ts';

const body = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
const message = encodeHandshake(HandshakeType.ClientKeyExchange, 2, body);

function fragmentsOf(whole: Buffer, size: number) {
  return fragmentHandshake(whole, size).flatMap((fragment) => parseHandshakeFragments(fragment));
}

describe('handshake fragmentation and reassembly (RFC 6347 §4.2.3)', () => {
  it('splits a message into fragments no larger than asked', () => {
    const fragments = fragmentsOf(message, 30);

    expect(fragments.map((f) => [f.fragmentOffset, f.body.length])).toEqual([
      [0, 30],
      [30, 30],
      [60, 30],
      [90, 10],
    ]);
  });

  it('reassembles fragments that arrive out of order and overlapping', () => {
    const reassembler = new HandshakeReassembler(2);
    const [a, b, c, d] = fragmentsOf(message, 30);
    const overlap = parseHandshakeFragments(fragmentHandshake(message, 45)[1] ?? Buffer.alloc(0));

    expect(reassembler.add(d!)).toEqual([]);
    expect(reassembler.add(b!)).toEqual([]);
    expect(reassembler.add(overlap[0]!)).toEqual([]);
    expect(reassembler.add(c!)).toEqual([]);
    const done = reassembler.add(a!);

    expect(done).toEqual([{ msgType: HandshakeType.ClientKeyExchange, messageSeq: 2, body, encoded: message }]);
  });

  it('hands over messages in message_seq order, holding a later one until the earlier is complete', () => {
    const reassembler = new HandshakeReassembler(0);
    const first = encodeHandshake(HandshakeType.ServerHello, 0, Buffer.alloc(10, 1));
    const second = encodeHandshake(HandshakeType.ServerHelloDone, 1, Buffer.alloc(0));

    expect(reassembler.add(parseHandshakeFragments(second)[0]!)).toEqual([]);
    const done = reassembler.add(parseHandshakeFragments(first)[0]!);

    expect(done === 'retransmission' ? [] : done.map((m) => m.msgType)).toEqual([HandshakeType.ServerHello, HandshakeType.ServerHelloDone]);
  });

  it('recognises a fragment of an already delivered message as a retransmission', () => {
    const reassembler = new HandshakeReassembler(2);
    reassembler.add(parseHandshakeFragments(message)[0]!);

    expect(reassembler.add(parseHandshakeFragments(message)[0]!)).toBe('retransmission');
  });

  it('refuses a fragment that claims to reach past its message', () => {
    const bad = Buffer.from(message);
    bad.writeUIntBE(90, 6, 3); // fragment_offset 90 + fragment_length 100 > length 100

    expect(() => parseHandshakeFragments(bad)).toThrow(/exceeds/);
  });

  it('refuses a message larger than a PSK handshake can need', () => {
    const reassembler = new HandshakeReassembler(0);
    const huge = encodeHandshake(HandshakeType.ClientHello, 0, Buffer.alloc(10_000));

    expect(() => reassembler.add(parseHandshakeFragments(fragmentHandshake(huge, 100)[0]!)[0]!)).toThrow(/10000 bytes/);
  });
});
