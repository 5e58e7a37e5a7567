/**
 * Keeps the content format a device answered in on its registration (`negotiatedFormat`), one
 * attribute, so other edge tasks and a restarted edge ask in it first.
 */
import type { ReadFormat } from '../../core/devices/formatNegotiation.ts';
import type { RegistrationStore } from '../../store/DynamoDbRegistrationStore.ts';
import type { Logger } from '../logger.ts';
import type { FormatMemory, NegotiationTarget } from './FormatNegotiator.ts';

export class RegistrationFormatMemory implements FormatMemory {
  constructor(
    private readonly registrations: Pick<RegistrationStore, 'update'>,
    private readonly logger: Logger,
  ) {}

  async remember(device: NegotiationTarget, negotiatedFormat: ReadFormat): Promise<void> {
    if (device.registrationId === undefined) return;
    try {
      await this.registrations.update(device.endpoint, device.registrationId, { negotiatedFormat });
    } catch (error) {
      this.logger.warn('could not remember the content format of a device', { endpoint: device.endpoint, error });
    }
  }
}
