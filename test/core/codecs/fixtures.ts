/** Golden payloads shared by codec tests and the decoder property tests. */

export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

/** LwM2M TS 1.0 §6.4.3.1 example: Read /3/0 answered in TLV. */
export const TLV_DEVICE_INSTANCE = hex(`
  C8 00 14 4F 70 65 6E 20 4D 6F 62 69 6C 65 20 41 6C 6C 69 61 6E 63 65
  C8 01 16 4C 69 67 68 74 77 65 69 67 68 74 20 4D 32 4D 20 43 6C 69 65 6E 74
  C8 02 09 33 34 35 30 30 30 31 32 33
  C3 03 31 2E 30
  86 06 41 00 01 41 01 05
  88 07 08 42 00 0E D8 42 01 13 88
  87 08 41 00 7D 42 01 03 84
  C1 09 64
  C1 0A 0F
  83 0B 41 00 00
  C4 0D 51 82 42 8F
  C6 0E 2B 30 32 3A 30 30
  C1 10 55
`);

/** LwM2M TS 1.0 §6.4.3.2 example: Read /1 with one Server instance (lifetime 86400, binding U). */
export const TLV_SERVER_OBJECT = hex('08 00 0F C1 00 01 C4 01 00 01 51 80 C1 06 01 C1 07 55');

/**
 * LwM2M TS 1.0 §6.4.3.2 example: Read /2 (Access Control, not in our registry) with two
 * instances; `61 01 36 01` is a resource instance with the 16-bit id 310.
 */
export const TLV_ACCESS_CONTROL = hex(`
  08 00 0E C1 00 01 C1 01 00 83 02 41 7F 07 C1 03 7F
  08 02 12 C1 00 03 C1 01 00 87 02 41 7F 07 61 01 36 01 C1 03 7F
`);

/** SenML JSON for part of /3/0 (TS 1.1 §7.4.4 style: bn on the first record). */
export const SENML_JSON_DEVICE =
  '[{"bn":"/3/0/","n":"0","vs":"ACME"},{"n":"9","v":100},{"n":"6/0","v":1},{"n":"13","v":1367491215}]';

/** The same records in SenML CBOR, built by hand from RFC 8428 §6 labels. */
export const SENML_CBOR_DEVICE = hex(`
  84
  a3 21 65 2f 33 2f 30 2f 00 61 30 03 64 41 43 4d 45
  a2 00 61 39 02 18 64
  a2 00 63 36 2f 30 02 01
  a2 00 62 31 33 02 1a 51 82 42 8f
`);

/** One float resource at the request path: [{bn:"/3303/0/5700", v:24.5}]. */
export const SENML_CBOR_TEMPERATURE = hex('81 a2 21 6c 2f 33 33 30 33 2f 30 2f 35 37 30 30 02 fb 40 38 80 00 00 00 00 00');

/** LwM2M JSON (TS 1.0 §6.4.4 style) for part of /3/0, opaque-free. */
export const LWM2M_JSON_DEVICE =
  '{"bn":"/3/0/","e":[{"n":"0","sv":"ACME"},{"n":"9","v":100},{"n":"6/0","v":1},{"n":"13","v":1367491215}]}';

/**
 * LwM2M CBOR (TS 1.2 §7.4.6) for part of /3/0:
 * {[3, 0]: {0: "ACME", 6: {0: 1, 1: 5}, 9: 87, 13: 1367491215}}.
 */
export const LWM2M_CBOR_DEVICE = hex(`
  a1 82 03 00
  a4 00 64 41 43 4d 45
     06 a2 00 01 01 05
     09 18 57
     0d 1a 51 82 42 8f
`);

/** At the root, objects ascending: {5: {0: {3: 2}}, 3303: {0: {5700: 24.5}}}. */
export const LWM2M_CBOR_ROOT = hex(`
  a2 05 a1 00 a1 03 02
     19 0c e7 a1 00 a1 19 16 44 fa 41 c4 00 00
`);

/** One resource: {[3303, 0, 5700]: 24.5}. */
export const LWM2M_CBOR_TEMPERATURE = hex('a1 83 19 0c e7 00 19 16 44 fa 41 c4 00 00');
