import { describe, expect, it } from 'vitest';
import { rankDeliveries, type DeliveryChoice } from '../../../core/firmware/deliverySelection.ts';

const COAP = 0;
const COAPS = 1;
const HTTP = 2;
const HTTPS = 3;
const COAP_TCP = 4;
const PULL = 0;
const PUSH = 1;
const BOTH = 2;

const local = { httpScheme: 'http', secureSession: false } as const;
const aws = { httpScheme: 'https', secureSession: false } as const;
const schemes = (choices: readonly DeliveryChoice[]): string[] => choices.map((c) => (c.kind === 'push' ? 'push' : c.scheme));

describe('delivery selection from /5/0/8 and /5/0/9', () => {
  it('prefers HTTP pull when the device lists HTTP and the edge hands out http:// URLs, CoAP next', () => {
    expect(rankDeliveries({ protocols: [COAP, HTTP], deliveryMethod: PULL }, local)).toEqual([
      { kind: 'http-pull', scheme: 'http' },
      { kind: 'coap-pull', scheme: 'coap' },
    ]);
  });

  it('prefers HTTPS pull when the presigned URLs are https:// and the device lists HTTPS', () => {
    expect(schemes(rankDeliveries({ protocols: [HTTPS, COAP], deliveryMethod: PULL }, aws))).toEqual(['https', 'coap']);
  });

  it('never sends a scheme the device does not list: no http:// to an HTTPS-only device', () => {
    expect(rankDeliveries({ protocols: [HTTPS], deliveryMethod: PULL }, local)).toEqual([]);
    expect(rankDeliveries({ protocols: [HTTP], deliveryMethod: PULL }, aws)).toEqual([]);
  });

  it('offers HTTP only when the edge can presign URLs', () => {
    expect(schemes(rankDeliveries({ protocols: [HTTP, COAP] }, { secureSession: false }))).toEqual(['coap']);
  });

  it('offers coaps:// only over a DTLS session, before plain CoAP', () => {
    expect(schemes(rankDeliveries({ protocols: [COAP, COAPS] }, { secureSession: false }))).toEqual(['coap']);
    expect(schemes(rankDeliveries({ protocols: [COAP, COAPS] }, { secureSession: true }))).toEqual(['coaps', 'coap']);
    expect(rankDeliveries({ protocols: [COAPS] }, { secureSession: false })).toEqual([]);
  });

  it('ignores transports the edge does not serve (CoAP over TCP/TLS)', () => {
    expect(rankDeliveries({ protocols: [COAP_TCP], deliveryMethod: PULL }, local)).toEqual([]);
  });

  it('takes a device that reports no protocol (resource 8 absent or empty) to speak CoAP', () => {
    expect(rankDeliveries({}, local)).toEqual([{ kind: 'coap-pull', scheme: 'coap' }]);
    expect(rankDeliveries({ protocols: [] }, local)).toEqual([{ kind: 'coap-pull', scheme: 'coap' }]);
  });

  it('pushes to a push-only device whatever it lists, and never offers it a URI', () => {
    expect(rankDeliveries({ protocols: [COAP, HTTP], deliveryMethod: PUSH }, local)).toEqual([{ kind: 'push' }]);
  });

  it('pulls from a device offering both methods, and pushes only when no pull protocol fits', () => {
    expect(schemes(rankDeliveries({ protocols: [COAP], deliveryMethod: BOTH }, local))).toEqual(['coap']);
    expect(rankDeliveries({ protocols: [COAPS], deliveryMethod: BOTH }, local)).toEqual([{ kind: 'push' }]);
  });

  it('offers nothing for an unknown delivery method', () => {
    expect(rankDeliveries({ protocols: [COAP], deliveryMethod: 7 }, local)).toEqual([]);
  });
});
