import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { generate, parse } from 'coap-packet';
import { encodeCoapReply, encodeCoapRequest, type CoapReply } from '../../coap-edge/transport/replyEncoding.ts';
import { CoapOption, encodeUint } from '../../coap-edge/transport/coapOptions.ts';
import { encodeBlockOption } from '../../core/lwm2m/blockwise.ts';

/** What coap-packet 1.1.1 makes of the same reply: the reference the encoder must match byte for byte. */
function referenceBytes(reply: CoapReply): Buffer {
  return generate({
    code: reply.code,
    messageId: reply.messageId,
    token: Buffer.from(reply.token),
    ack: reply.ack,
    confirmable: false,
    options: reply.options.map(([number, value]) => ({ name: String(number), value: Buffer.from(value) })),
    payload: Buffer.from(reply.payload ?? new Uint8Array()),
  });
}

const blockReply: CoapReply = {
  code: '2.05',
  messageId: 0xbeef,
  token: Buffer.from([1, 2, 3, 4]),
  ack: true,
  options: [
    [CoapOption.ETag, Buffer.from('0123456789abcdef', 'hex')],
    [CoapOption.ContentFormat, encodeUint(42)],
    [CoapOption.Block2, encodeBlockOption({ num: 300, more: true, szx: 6 })],
    [CoapOption.Size2, encodeUint(262_144)],
  ],
  payload: Buffer.alloc(1024, 0xa5),
};

describe('the reply encoder', () => {
  it('encodes a firmware block reply (ETag, Content-Format, Block2, Size2, 1 KiB) exactly as coap-packet does', () => {
    // Act
    const bytes = encodeCoapReply(blockReply);

    // Assess
    expect(bytes).toEqual(referenceBytes(blockReply));
  });

  it('encodes a 2.01 with repeated Location-Path options and no payload exactly as coap-packet does', () => {
    // Prepare
    const reply: CoapReply = { code: '2.01', messageId: 7, token: Buffer.from([9]), ack: true, options: [[CoapOption.LocationPath, Buffer.from('rd')], [CoapOption.LocationPath, Buffer.from('Zx81')]] };

    // Act
    const bytes = encodeCoapReply(reply);

    // Assess
    expect(bytes).toEqual(referenceBytes(reply));
    expect(parse(bytes ?? Buffer.alloc(0)).options.map((o) => o.value.toString())).toEqual(['rd', 'Zx81']);
  });

  it('answers a NON with a NON and an empty token with an empty token', () => {
    // Prepare
    const reply: CoapReply = { code: '4.04', messageId: 65_535, token: Buffer.alloc(0), ack: false, options: [] };

    // Act
    const bytes = encodeCoapReply(reply);

    // Assess
    expect(bytes).toEqual(referenceBytes(reply));
    expect(parse(bytes ?? Buffer.alloc(0))).toMatchObject({ code: '4.04', ack: false, confirmable: false, reset: false });
  });

  it('matches coap-packet for any options in order, long deltas and long values included', () => {
    const option = fc.tuple(fc.integer({ min: 1, max: 2_000 }), fc.uint8Array({ maxLength: 300 }));
    fc.assert(
      fc.property(
        fc.record({
          code: fc.constantFrom('2.01', '2.02', '2.04', '2.05', '2.31', '4.00', '4.02', '4.04', '4.13', '5.00', '5.03'),
          messageId: fc.integer({ min: 0, max: 0xffff }),
          token: fc.uint8Array({ maxLength: 8 }),
          ack: fc.boolean(),
          options: fc.array(option, { maxLength: 4 }).map((options) => [...options].sort((a, b) => a[0] - b[0])),
          payload: fc.uint8Array({ maxLength: 400 }),
        }),
        (reply) => {
          expect(encodeCoapReply(reply)).toEqual(referenceBytes(reply));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses what it cannot encode: more than 1280 bytes, a token over 8 bytes, options out of order, a malformed code', () => {
    // Assess
    expect(encodeCoapReply({ ...blockReply, payload: Buffer.alloc(1260) })).toBeUndefined();
    expect(encodeCoapReply({ ...blockReply, token: Buffer.alloc(9) })).toBeUndefined();
    expect(encodeCoapReply({ ...blockReply, options: [...blockReply.options].reverse() })).toBeUndefined();
    expect(encodeCoapReply({ ...blockReply, code: '2.5' })).toBeUndefined();
  });
});

describe('the request encoder', () => {
  it('encodes a CON request (GET /3/0 with Accept) exactly as coap-packet does', () => {
    // Prepare
    const request = { code: '0.01', messageId: 0x1234, token: Buffer.from('0102030405060708', 'hex'), options: [[CoapOption.UriPath, Buffer.from('3')], [CoapOption.UriPath, Buffer.from('0')], [CoapOption.Accept, encodeUint(11542)]] as const };

    // Act
    const bytes = encodeCoapRequest(request);

    // Assess
    const reference = generate({ code: '0.01', messageId: 0x1234, token: request.token, confirmable: true, options: request.options.map(([number, value]) => ({ name: String(number), value })) });
    expect(bytes).toEqual(reference);
    expect(parse(bytes ?? Buffer.alloc(0))).toMatchObject({ code: '0.01', confirmable: true, ack: false, messageId: 0x1234 });
  });

  it('takes a request larger than a reply may be (a Write in one piece), and still refuses a token over 8 bytes', () => {
    // Prepare
    const request = { code: '0.03', messageId: 1, token: Buffer.alloc(8), options: [], payload: Buffer.alloc(4_000, 1) };

    // Assess
    expect(encodeCoapRequest(request)?.length).toBe(4 + 8 + 1 + 4_000);
    expect(encodeCoapRequest({ ...request, token: Buffer.alloc(9) })).toBeUndefined();
  });
});
