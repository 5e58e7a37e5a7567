/**
 * A SCRIPTED STAND-IN FOR THE DEVICE, not the edge's DeviceClient: the device is the thing under
 * control in the step tests, so its object 5 is plain state the test sets, and how it answers each
 * operation (accept, refuse, never answer) is scripted. Every operation is logged in order.
 */
import type { LwM2mEntry, ResourceValue } from '../../../core/codecs/model.ts';
import { LwM2mPath } from '../../../core/lwm2m/LwM2mPath.ts';
import { FirmwareResource, FirmwareUpdateResult, FirmwareUpdateState } from '../../../core/lwm2m/firmwareUpdate.ts';
import type { FirmwareDevices } from '../../../coap-edge/jobs/deviceFirmware.ts';
import { DeviceTimeoutError } from '../../../coap-edge/transport/errors.ts';

/** How the device answers one kind of request. */
export type Answer = 'accept' | 'refuse' | 'noAnswer';

type Observation = Awaited<ReturnType<FirmwareDevices['observe']>>;
type OnValue = Parameters<FirmwareDevices['observe']>[2];

export class ScriptedDevice implements FirmwareDevices {
  state: FirmwareUpdateState = FirmwareUpdateState.Idle;
  updateResult: FirmwareUpdateResult = FirmwareUpdateResult.Initial;
  /** /5/0/8: CoAP only. */
  protocols: readonly number[] = [0];
  /** /5/0/9: pull. */
  deliveryMethod = 0;
  /** /3/0/3 */
  firmwareVersion = '1.0.0';
  /** Package URI write (/5/0/1), Execute Update (/5/0/2), Execute Cancel (/5/0/10; 'refuse' answers 4.05). */
  readonly answers: { packageUri: Answer; update: Answer; cancel: Answer } = { packageUri: 'accept', update: 'accept', cancel: 'accept' };
  /** What the device was asked, in order: `WRITE /5/0/1 <uri>`, `EXECUTE /5/0/2`, `OBSERVE /5/0/3`. */
  readonly log: string[] = [];
  private readonly observers = new Map<string, OnValue>();

  /** Requests of a kind, e.g. `count('EXECUTE /5/0/2')`. */
  count(request: string): number {
    return this.log.filter((line) => line.startsWith(request)).length;
  }

  /** The device changes its State (and Update Result) and notifies the observer of /5/0/3 and /5/0/5, if any. */
  moveTo(state: FirmwareUpdateState, updateResult = this.updateResult): void {
    this.state = state;
    this.updateResult = updateResult;
    this.notify('/5/0/3', state);
    this.notify('/5/0/5', updateResult);
  }

  /** The device installed `version` and rebooted: object 5 Idle with `updateResult`, its observations gone with the old session. */
  reboot(version: string, updateResult: FirmwareUpdateResult = FirmwareUpdateResult.Success): void {
    this.observers.clear();
    this.firmwareVersion = version;
    this.state = FirmwareUpdateState.Idle;
    this.updateResult = updateResult;
  }

  isObserved(path: string): boolean {
    return this.observers.has(path);
  }

  async read(_device: unknown, path: string): ReturnType<FirmwareDevices['read']> {
    this.log.push(`READ ${path}`);
    return { kind: 'values', entries: this.object5(), contentFormat: 11543 };
  }

  async readValue(_device: unknown, path: string): Promise<ResourceValue | undefined> {
    this.log.push(`READ ${path}`);
    if (path === '/3/0/3') return this.firmwareVersion;
    if (path === '/5/0/3') return this.state;
    if (path === '/5/0/5') return this.updateResult;
    return undefined;
  }

  async writeText(_device: unknown, path: string, value: string): ReturnType<FirmwareDevices['writeText']> {
    this.log.push(`WRITE ${path} ${value}`);
    if (path !== '/5/0/1') return { kind: 'done' };
    const answer = this.answer(this.answers.packageUri, `Write ${path}`);
    if (answer === 'refuse') return { kind: 'refused', code: '4.00' };
    // An empty URI resets object 5 (object 5: "Idle"); any other starts the download.
    this.state = value === '' ? FirmwareUpdateState.Idle : FirmwareUpdateState.Downloading;
    this.updateResult = FirmwareUpdateResult.Initial;
    return { kind: 'done' };
  }

  async writeOpaque(_device: unknown, path: string, bytes: Uint8Array): ReturnType<FirmwareDevices['writeOpaque']> {
    this.log.push(`WRITE ${path} ${bytes.length} bytes`);
    return { kind: 'done', code: '2.04', blocks: 1, blockSize: 1024 };
  }

  async execute(_device: unknown, path: string): ReturnType<FirmwareDevices['execute']> {
    this.log.push(`EXECUTE ${path}`);
    const answer = this.answer(path === '/5/0/10' ? this.answers.cancel : this.answers.update, `Execute ${path}`);
    if (answer === 'refuse') return { kind: 'refused', code: path === '/5/0/10' ? '4.05' : '4.00' };
    if (path === '/5/0/10') {
      this.state = FirmwareUpdateState.Idle;
      this.updateResult = FirmwareUpdateResult.Cancelled;
    } else if (path === '/5/0/2') {
      this.state = FirmwareUpdateState.Updating;
    }
    return { kind: 'done' };
  }

  async observe(_device: unknown, path: string, onValue: OnValue): Promise<Observation> {
    this.log.push(`OBSERVE ${path}`);
    this.observers.set(path, onValue);
    return { cancel: () => this.observers.delete(path) };
  }

  private notify(path: string, value: number): void {
    this.observers.get(path)?.(value, [], 0);
  }

  /** Throws the transport's timeout for a request that is never answered. */
  private answer(answer: Answer, what: string): Exclude<Answer, 'noAnswer'> {
    if (answer === 'noAnswer') throw new DeviceTimeoutError(`${what}: no answer after every retransmission`);
    return answer;
  }

  private object5(): LwM2mEntry[] {
    const at = (resource: number, value: ResourceValue, instance?: number): LwM2mEntry => ({ path: LwM2mPath.of(5, 0, resource, instance), value });
    return [
      at(FirmwareResource.State, this.state),
      at(FirmwareResource.UpdateResult, this.updateResult),
      ...this.protocols.map((protocol, i) => at(FirmwareResource.ProtocolSupport, protocol, i)),
      at(FirmwareResource.DeliveryMethod, this.deliveryMethod),
    ];
  }
}
