/**
 * DTLS-PSK credentials of devices. The key goes in once and never comes out: responses carry the
 * identity and endpoint only; the key is encrypted at rest by the credential store.
 */
import { z } from 'zod';
import { RESERVED_IDENTITY_PREFIX } from '../../../store/credentialMarkers.ts';
import { ApiError, parseJsonBody } from '../http.ts';
import { validate } from '../schemas.ts';
import { mustFind } from './lookup.ts';
import { ok, type Route } from './types.ts';

export const CredentialSchema = z
  .object({
    identity: z
      .string()
      .min(1)
      .max(128)
      .refine((identity) => !identity.startsWith(RESERVED_IDENTITY_PREFIX), `identities starting with ${RESERVED_IDENTITY_PREFIX} are reserved`),
    /** The PSK as hex (16..64 bytes: RFC 4279 allows up to 64). */
    keyHex: z.string().regex(/^([0-9a-fA-F]{2}){16,64}$/, '16 to 64 bytes as hex'),
  })
  .strict();

export const credentialRoutes: readonly Route[] = [
  {
    method: 'PUT',
    path: '/devices/{endpoint}/credentials',
    summary: "Provision (or replace) a device's DTLS-PSK identity and key; the endpoint then registers over DTLS only; a replaced key's sessions end within 10 s; the key is never returned",
    body: CredentialSchema,
    handle: async ({ stores, clock }, { endpoint = '' }, request) => {
      const input = validate(CredentialSchema, parseJsonBody(request.body));
      const existing = await stores.credentials.get(input.identity);
      if (existing !== undefined && existing.endpoint !== endpoint) {
        throw new ApiError(409, 'IDENTITY_IN_USE', `identity ${input.identity} belongs to device ${existing.endpoint}`, 'identity');
      }
      const credential = { identity: input.identity, endpoint, createdAt: (clock ?? Date.now)() };
      await stores.credentials.put(credential, Buffer.from(input.keyHex, 'hex'));
      return ok(credential, 201);
    },
  },
  {
    method: 'GET',
    path: '/credentials/{identity}',
    summary: 'Show which device a PSK identity belongs to (never the key)',
    handle: async ({ stores }, { identity = '' }) => ok(await mustFind(stores.credentials.get(identity), `credential ${identity}`)),
  },
  {
    method: 'DELETE',
    path: '/credentials/{identity}',
    summary: "Revoke a PSK identity: its live DTLS sessions end on every edge task within 10 s",
    handle: async ({ stores }, { identity = '' }) => {
      if (!(await stores.credentials.remove(identity))) throw new ApiError(404, 'NOT_FOUND', `credential ${identity} does not exist`);
      return ok({ identity, revoked: true });
    },
  },
];
