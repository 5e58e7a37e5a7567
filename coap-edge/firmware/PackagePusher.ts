/**
 * Pushes firmware packages to devices that cannot pull: Write /5/0/0 with Block1, content-format
 * 42 (ARCHITECTURE.md, "Delivering firmware"). Where an image byte leaves the edge for a
 * push-only device.
 *
 * A push is many lock-step round trips (2048 for 2 MiB at 1024-byte blocks), so it runs beside
 * the job executor's steps instead of inside them and never holds their permits: other devices'
 * jobs go on while a push is in flight. Blocks are sliced from the one cached copy of the image
 * (ImageCache), so a push holds no bytes of its own; at most `concurrency` pushes run at once,
 * the rest wait for a slot.
 */
import type { DeviceClient, DeviceTarget } from '../devices/DeviceClient.ts';
import type { Block1Outcome } from '../transport/block1Transfer.ts';
import { Semaphore } from '../../core/concurrency.ts';
import type { ImageCache } from './ImageCache.ts';
import { FirmwarePath } from '../../core/lwm2m/firmwareUpdate.ts';

export type PushOutcome = Block1Outcome | { readonly kind: 'imageUnavailable' } | { readonly kind: 'alreadyPushing' };

export interface PackagePusherOptions {
  /** Pushes in flight at once. @default 32 */
  readonly concurrency?: number;
  /** Block size to start with, as SZX; the device may ask for less. @default 6 (1024 bytes) */
  readonly szx?: number;
  /** Per-block response timeout. */
  readonly blockTimeoutMs?: number;
}

export interface PushStats {
  pushesStarted: number;
  pushesCompleted: number;
  blocksPushed: number;
}

export class PackagePusher {
  readonly stats: PushStats = { pushesStarted: 0, pushesCompleted: 0, blocksPushed: 0 };
  private readonly running = new Map<string, AbortController>();
  private readonly slots: Semaphore;

  constructor(
    private readonly devices: Pick<DeviceClient, 'writeOpaque'>,
    private readonly images: Pick<ImageCache, 'get'>,
    private readonly options: PackagePusherOptions = {},
  ) {
    this.slots = new Semaphore(options.concurrency ?? 32);
  }

  isPushing(key: string): boolean {
    return this.running.has(key);
  }

  /** Pushes the image to /5/0/0 of the device; one push per key (job) at a time. */
  async push(key: string, device: DeviceTarget, imageId: string): Promise<PushOutcome> {
    if (this.running.has(key)) return { kind: 'alreadyPushing' };
    const controller = new AbortController();
    this.running.set(key, controller);
    try {
      return await this.slots.use(async () => {
        if (controller.signal.aborted) return { kind: 'aborted', blocks: 0 } as const;
        const cached = await this.images.get(imageId);
        if (cached === undefined) return { kind: 'imageUnavailable' } as const;
        this.stats.pushesStarted++;
        const outcome = await this.devices.writeOpaque(device, FirmwarePath.Package, cached.bytes, {
          szx: this.options.szx ?? 6,
          signal: controller.signal,
          ...(this.options.blockTimeoutMs === undefined ? {} : { timeoutMs: this.options.blockTimeoutMs }),
        });
        if (outcome.kind !== 'tooLarge') this.stats.blocksPushed += outcome.blocks;
        if (outcome.kind === 'done') this.stats.pushesCompleted++;
        return outcome;
      });
    } finally {
      this.running.delete(key);
    }
  }

  /** Stops a push before its next block (a cancelled job). */
  abort(key: string): void {
    this.running.get(key)?.abort();
  }

  stop(): void {
    for (const controller of this.running.values()) controller.abort();
  }
}
