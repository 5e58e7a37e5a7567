/** A fleet of simulated devices, started in bounded batches so a burst does not drop registrations. */
import { SimulatedDevice, type SimulatedDeviceOptions } from './SimulatedDevice.ts';

export interface FleetOptions {
  readonly size: number;
  readonly serverPort: number;
  readonly serverHost?: string;
  readonly endpointPrefix?: string;
  readonly batchSize?: number;
  /** Options per device index (failure knobs, versions, models). */
  readonly deviceOptions?: (index: number) => Partial<SimulatedDeviceOptions>;
  readonly onProgress?: (registered: number, total: number) => void;
}

export class Fleet {
  readonly devices: SimulatedDevice[];

  constructor(private readonly options: FleetOptions) {
    const prefix = options.endpointPrefix ?? 'sim-meter';
    this.devices = Array.from({ length: options.size }, (_, i) => {
      const endpoint = `${prefix}-${String(i).padStart(5, '0')}`;
      return new SimulatedDevice({
        endpoint,
        serverPort: options.serverPort,
        ...(options.serverHost === undefined ? {} : { serverHost: options.serverHost }),
        ...options.deviceOptions?.(i),
      });
    });
  }

  async start(): Promise<void> {
    const batch = this.options.batchSize ?? 50;
    let registered = 0;
    for (let i = 0; i < this.devices.length; i += batch) {
      await Promise.all(
        this.devices.slice(i, i + batch).map(async (device) => {
          await device.start();
          registered++;
          this.options.onProgress?.(registered, this.devices.length);
        }),
      );
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.devices.map((device) => device.stop()));
  }
}
