/**
 * Expiry of items kept for a while only (telemetry values, device requests): DynamoDB TTL deletes
 * an item some time after the epoch second in its `ttl` attribute (store/schema.ts TTL_ATTRIBUTE).
 * The attribute is storage bookkeeping: readers never see it.
 */
import { TTL_ATTRIBUTE } from './schema.ts';

/** How long expiring items are kept unless configured (FOTA_RETENTION_DAYS). */
export const DEFAULT_RETENTION_DAYS = 90;

const DAY_MS = 86_400_000;

/** The TTL value of an item written at `at` (epoch ms): epoch seconds, as DynamoDB TTL requires. */
export function expiresAtSeconds(at: number, retentionDays: number): number {
  return Math.floor((at + retentionDays * DAY_MS) / 1000);
}

/** The stored item without its TTL attribute, as the type it was written from. */
export function withoutTtl<T>(item: Record<string, unknown>): T {
  const rest = { ...item };
  delete rest[TTL_ATTRIBUTE];
  return rest as T;
}
