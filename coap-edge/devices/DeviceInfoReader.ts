/**
 * Reads the Device object (/3/0) after each Register, so campaigns can target by manufacturer,
 * model and current firmware version.
 */
import type { DeviceRegistration } from '../../core/devices/DeviceRegistration.ts';
import type { RegistrationStore } from '../../store/DynamoDbRegistrationStore.ts';
import type { Logger } from '../logger.ts';
import type { DeviceClient } from './DeviceClient.ts';

export class DeviceInfoReader {
  constructor(
    private readonly devices: DeviceClient,
    private readonly store: RegistrationStore,
    private readonly logger: Logger,
  ) {}

  async refresh(registration: DeviceRegistration): Promise<void> {
    try {
      const outcome = await this.devices.read(registration, '/3/0');
      if (outcome.kind === 'refused') {
        this.logger.info('device refused a read of /3/0', { endpoint: registration.endpoint, code: outcome.code });
        return;
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
    } catch (error) {
      this.logger.info('could not read /3/0 after registration', { endpoint: registration.endpoint, error });
    }
  }
}
