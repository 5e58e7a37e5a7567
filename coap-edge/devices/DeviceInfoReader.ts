/**
 * Reads the Device object (/3/0) after each Register, so campaigns can target by manufacturer,
 * model and current firmware version.
 */
import type { DeviceRegistration } from '../../core/devices/DeviceRegistration.ts';
import type { RegistrationStore } from '../../core/ports/RegistrationStore.ts';
import type { Logger } from '../logger.ts';
import type { DeviceClient } from './DeviceClient.ts';

/**
 * Pauses before each further read when one went unanswered: a device whose facts are never read is
 * left out of every campaign until its next Update, which may be hours away (its lifetime), so a
 * lost read (every retransmission lost, a reordering proxy, a busy edge) is tried again soon.
 */
const RETRY_DELAYS_MS: readonly number[] = [2_000, 8_000];

export class DeviceInfoReader {
  constructor(
    private readonly devices: DeviceClient,
    private readonly store: RegistrationStore,
    private readonly logger: Logger,
    private readonly retryDelaysMs: readonly number[] = RETRY_DELAYS_MS,
  ) {}

  /**
   * Reads the facts once; when that read goes unanswered, tries again in the background (the
   * follow-ups of a Register, pending requests and jobs, do not wait for the retries).
   */
  async refresh(registration: DeviceRegistration): Promise<void> {
    if (await this.readOnce(registration)) return;
    this.retry(registration).catch((error: unknown) => this.logger.warn('device facts retry failed', { endpoint: registration.endpoint, error }));
  }

  private async retry(registration: DeviceRegistration): Promise<void> {
    for (const delay of this.retryDelaysMs) {
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
      // Only the registration it was asked for, and only while its facts are still unread.
      const current = await this.store.getWithoutTags(registration.endpoint);
      if (current === undefined || current.registrationId !== registration.registrationId || (current.deviceInfoReadAt ?? 0) > (registration.deviceInfoReadAt ?? 0)) return;
      if (await this.readOnce(current)) return;
    }
  }

  /** One read of /3/0: true when it is settled (read and stored, or refused), false when it went unanswered. */
  private async readOnce(registration: DeviceRegistration): Promise<boolean> {
    try {
      const outcome = await this.devices.read(registration, '/3/0');
      if (outcome.kind === 'refused') {
        this.logger.info('device refused a read of /3/0', { endpoint: registration.endpoint, code: outcome.code });
        return true;
      }
      const value = (resource: number): string | undefined => {
        const entry = outcome.entries.find((e) => e.path.objectId === 3 && e.path.resourceId === resource && e.path.resourceInstanceId === undefined);
        return typeof entry?.value === 'string' ? entry.value : undefined;
      };
      const changes: Partial<DeviceRegistration> = { deviceInfoReadAt: Date.now() };
      const manufacturer = value(0);
      const model = value(1);
      const firmwareVersion = value(3);
      // Windows in device local time use /3/0/15 Timezone, else /3/0/14 UTC Offset.
      const timeZone = value(15) ?? value(14);
      if (timeZone !== undefined && timeZone !== '') Object.assign(changes, { timeZone });
      if (manufacturer !== undefined) Object.assign(changes, { manufacturer });
      if (model !== undefined) Object.assign(changes, { model });
      if (firmwareVersion !== undefined) Object.assign(changes, { firmwareVersion });
      await this.store.update(registration.endpoint, registration.registrationId, changes);
      return true;
    } catch (error) {
      this.logger.info('could not read /3/0 after registration', { endpoint: registration.endpoint, error });
      return false;
    }
  }
}
