/**
 * Object 5 operations on one device that the job executor and the delivery share: one Read of the
 * whole instance, and the v1.1 Cancel with its fallback for devices that lack it.
 */
import { firmwareObjectSnapshot, type FirmwareObjectSnapshot } from '../../core/firmware/firmwareProgress.ts';
import type { DeliveryMethod } from '../../core/jobs/jobStateMachine.ts';
import type { DeviceClient, DeviceTarget } from '../devices/DeviceClient.ts';

/** The device operations a firmware job uses (the edge's DeviceClient; a scripted device in step tests). */
export type FirmwareDevices = Pick<DeviceClient, 'read' | 'readValue' | 'writeText' | 'writeOpaque' | 'execute' | 'observe'>;

/** What a cancel did on the device. */
export type DeviceCancel = 'cancelExecuted' | 'packageUriReset' | 'packageReset' | 'notContacted';

/** One Read of /5/0: State, Update Result, protocols, delivery method, Last State Change Time. */
export async function readFirmwareObject(devices: Pick<DeviceClient, 'read' | 'readValue'>, device: DeviceTarget): Promise<FirmwareObjectSnapshot> {
  const outcome = await devices.read(device, '/5/0');
  if (outcome.kind === 'values') return firmwareObjectSnapshot(outcome.entries);
  // A device that refuses the instance Read may still answer single resources.
  const state = await devices.readValue(device, '/5/0/3');
  const updateResult = await devices.readValue(device, '/5/0/5');
  return { ...(typeof state === 'number' ? { state } : {}), ...(typeof updateResult === 'number' ? { updateResult } : {}) };
}

/**
 * Execute /5/0/10 (object 5 v1.1 Cancel: Idle with result 10). A device without it answers 4.04
 * or 4.05; then an empty Package URI, or an empty Package for a push, resets object 5 to Idle.
 */
export async function cancelOnDevice(devices: Pick<DeviceClient, 'execute' | 'writeText' | 'writeOpaque'>, device: DeviceTarget, delivery: DeliveryMethod | undefined): Promise<DeviceCancel> {
  const executed = await devices.execute(device, '/5/0/10');
  if (executed.kind === 'done') return 'cancelExecuted';
  if (delivery === 'push') {
    const reset = await devices.writeOpaque(device, '/5/0/0', new Uint8Array(0));
    return reset.kind === 'done' ? 'packageReset' : 'notContacted';
  }
  const reset = await devices.writeText(device, '/5/0/1', '');
  return reset.kind === 'done' ? 'packageUriReset' : 'notContacted';
}
