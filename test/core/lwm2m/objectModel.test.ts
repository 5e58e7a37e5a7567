import { describe, expect, it } from 'vitest';
import { contentFormatName, isContentFormat, normalizeContentFormat, ContentFormat } from '../../../core/lwm2m/ContentFormat.ts';
import { CodecError, InvalidPathError, LinkFormatError } from '../../../core/lwm2m/errors.ts';
import {
  FirmwareResource, FirmwareUpdateResult, FirmwareUpdateState, updateResultReason,
} from '../../../core/lwm2m/firmwareUpdate.ts';
import { defaultObjectRegistry, ObjectRegistry, type ObjectModel } from '../../../core/lwm2m/objectRegistry.ts';

describe('defaultObjectRegistry', () => {
  it('knows the Device object as single-instance and mandatory', () => {
    const device = defaultObjectRegistry.get(3);
    expect(device).toMatchObject({ id: 3, name: 'Device', multiple: false, mandatory: true });
  });

  it.each([
    [3, 0, 'Manufacturer', 'string', false],
    [3, 4, 'Reboot', 'none', false],
    [3, 6, 'Available Power Sources', 'integer', true],
    [3, 11, 'Error Code', 'integer', true],
    [3, 13, 'Current Time', 'time', false],
    [1, 1, 'Lifetime', 'integer', false],
    [1, 7, 'Binding', 'string', false],
    [5, 0, 'Package', 'opaque', false],
    [5, 8, 'Firmware Update Protocol Support', 'integer', true],
    [5, 12, 'Last State Change Time', 'time', false],
    [6, 0, 'Latitude', 'float', false],
    [3303, 5700, 'Sensor Value', 'float', false],
    [3313, 5702, 'X Value', 'float', false],
  ])('describes /%i/x/%i as %s of type %s', (objectId, resourceId, name, type, multiple) => {
    expect(defaultObjectRegistry.resource(objectId, resourceId)).toMatchObject({ name, type, multiple });
  });

  it('marks Update and Cancel of object 5 as executable', () => {
    expect(defaultObjectRegistry.resource(5, FirmwareResource.Update)?.operations).toBe('E');
    expect(defaultObjectRegistry.resource(5, FirmwareResource.Cancel)?.operations).toBe('E');
  });

  it('holds every object this server manages', () => {
    expect(defaultObjectRegistry.objectIds()).toEqual([0, 1, 3, 4, 5, 6, 11, 3303, 3313]);
  });

  it('answers undefined for unknown objects and resources', () => {
    expect(defaultObjectRegistry.get(2)).toBeUndefined();
    expect(defaultObjectRegistry.resource(3, 999)).toBeUndefined();
  });

  it('accepts new models through register()', () => {
    // Prepare
    const registry = new ObjectRegistry();
    const model: ObjectModel = {
      id: 33000, name: 'Vendor', version: '1.0', multiple: false, mandatory: false,
      resources: new Map([[0, { id: 0, name: 'Mode', operations: 'RW', type: 'integer', multiple: false, mandatory: true }]]),
    };

    // Act
    registry.register(model);

    // Assess
    expect(registry.resource(33000, 0)?.name).toBe('Mode');
  });
});

describe('firmware update constants', () => {
  it('number states and results as object 5 does', () => {
    expect(FirmwareUpdateState.Downloaded).toBe(2);
    expect(FirmwareUpdateResult.IntegrityCheckFailure).toBe(5);
    expect(FirmwareUpdateResult.Deferred).toBe(11);
  });

  it.each([
    [0, 'INITIAL'],
    [1, 'SUCCESS'],
    [5, 'INTEGRITY_CHECK_FAILURE'],
    [7, 'INVALID_URI'],
    [10, 'CANCELLED'],
    [12, 'UNKNOWN_RESULT_12'],
    [-1, 'UNKNOWN_RESULT_-1'],
  ])('names update result %i %s', (result, reason) => {
    expect(updateResultReason(result)).toBe(reason);
  });
});

describe('content formats', () => {
  it('recognises registered numbers only', () => {
    expect(isContentFormat(11542)).toBe(true);
    expect(isContentFormat(1542)).toBe(false);
  });

  it('maps legacy 1541/1542/1543 to their IANA numbers', () => {
    expect(normalizeContentFormat(1541)).toBe(ContentFormat.TEXT);
    expect(normalizeContentFormat(1542)).toBe(ContentFormat.TLV);
    expect(normalizeContentFormat(1543)).toBe(ContentFormat.LWM2M_JSON);
    expect(normalizeContentFormat(9999)).toBeUndefined();
  });

  it('names formats for logs', () => {
    expect(contentFormatName(112)).toBe('application/senml+cbor');
    expect(contentFormatName(1542)).toContain('legacy');
    expect(contentFormatName(9999)).toContain('9999');
  });
});

describe('protocol errors', () => {
  it('set their name and keep their cause', () => {
    const cause = new Error('root');
    expect(new InvalidPathError('x', { cause })).toMatchObject({ name: 'InvalidPathError', cause });
    expect(new CodecError(42, 'x')).toMatchObject({ name: 'CodecError', format: 42 });
    expect(new LinkFormatError('x').name).toBe('LinkFormatError');
  });
});
