/**
 * Which campaign holds each device: one firmware job per device at a time, across campaigns.
 * Implemented by store/DeviceClaimStore.ts.
 */
export interface DeviceClaim {
  readonly endpoint: string;
  readonly campaignId: string;
  readonly claimedAt: number;
}

export type ClaimOutcome = { readonly claimed: true } | { readonly claimed: false; readonly holder: string };

export interface DeviceClaimStore {
  /** Claims a free device, or confirms a claim `campaignId` already holds (a retried plan); else names the holder. */
  claim(endpoint: string, campaignId: string, now: number): Promise<ClaimOutcome>;
  /** Moves the claim from `holder` to `campaignId`, only while `holder` still holds it. */
  takeOver(endpoint: string, campaignId: string, holder: string, now: number): Promise<boolean>;
  get(endpoint: string): Promise<DeviceClaim | undefined>;
}
