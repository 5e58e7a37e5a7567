/**
 * The token of a CoAP Package URI (coap://<edge>/fw/<token>): it opens the image of one job's
 * attempt, and nothing once the attempt ended (a retry draws a new secret). Most tokens carry
 * the job's key beside a per-attempt secret kept on the job item, `<secret>.<key>`, so the edge
 * finds the job with one consistent GetItem and compares the secret: no index entry to write per
 * job (issue 17: a write unit per device). Object 5's Package URI holds at most 255 bytes
 * (LwM2M 1.1 Core, E.6 /5/0/1): a key too long to fit beside any plausible edge address (a long
 * endpoint name) falls back to a random token found through the sparse byToken index
 * (`downloadToken`, store/schema.ts).
 */
import type { FirmwareJob } from './FirmwareJob.ts';

/**
 * The longest token that carries its key: leaves 75 bytes of the 255 for the scheme, host, port
 * and `/fw/` ("coaps://fota-edge.eu-west-1.example.com:5684/fw/" is 50).
 */
export const MAX_KEYED_TOKEN_LENGTH = 180;

/** What a job holds of its token: the secret of a keyed one, or an indexed token. */
export type PackageTokenFields = Pick<FirmwareJob, 'packageSecret'> | Pick<FirmwareJob, 'downloadToken'>;

/** What a keyed token names: the job, and the secret its attempt must hold. */
export interface KeyedPackageToken {
  readonly campaignId: string;
  readonly jobKey: string;
  readonly secret: string;
}

/** The token fields of a new attempt of the job `key`, with a fresh random `secret` (base64url). */
export function packageTokenFields(key: Pick<FirmwareJob, 'campaignId' | 'jobKey'>, secret: string): PackageTokenFields {
  return keyedToken(key, secret).length <= MAX_KEYED_TOKEN_LENGTH ? { packageSecret: secret } : { downloadToken: secret };
}

/** The token of the job's current attempt, as its Package URI carries it. */
export function packageTokenOf(job: Pick<FirmwareJob, 'campaignId' | 'jobKey' | 'packageSecret' | 'downloadToken'>): string {
  return job.packageSecret === undefined ? (job.downloadToken ?? '') : keyedToken(job, job.packageSecret);
}

/** The key and secret of a keyed token; undefined for an indexed (or malformed) one. */
export function parseKeyedToken(token: string): KeyedPackageToken | undefined {
  const dot = token.indexOf('.');
  if (dot < 0) return undefined;
  const key = Buffer.from(token.slice(dot + 1), 'base64url').toString('utf8');
  const newline = key.indexOf('\n');
  if (newline <= 0 || newline === key.length - 1) return undefined;
  return { secret: token.slice(0, dot), campaignId: key.slice(0, newline), jobKey: key.slice(newline + 1) };
}

function keyedToken(key: Pick<FirmwareJob, 'campaignId' | 'jobKey'>, secret: string): string {
  return `${secret}.${Buffer.from(`${key.campaignId}\n${key.jobKey}`, 'utf8').toString('base64url')}`;
}
