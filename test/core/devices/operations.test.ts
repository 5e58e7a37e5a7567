import { describe, expect, it } from 'vitest';
import { checkDeviceOperation } from '../../../core/devices/operations.ts';
import { entriesFromJson, toJsonValues } from '../../../core/devices/jsonValues.ts';
import type { DeviceOperation } from '../../../core/devices/DeviceRequest.ts';
import { telemetrySampleKey, toTelemetrySamples } from '../../../core/devices/Telemetry.ts';
import { formatExecuteArguments, parseExecuteArguments } from '../../../core/lwm2m/executeArguments.ts';
import { LwM2mPath } from '../../../core/lwm2m/LwM2mPath.ts';
import { defaultObjectRegistry } from '../../../core/lwm2m/objectRegistry.ts';
import { entry, path } from '../codecs/helpers.ts';

const registry = defaultObjectRegistry;
const check = (operation: DeviceOperation) => checkDeviceOperation(operation, registry);

describe('Device Management operations before they are held for a device', () => {
  it.each<[string, DeviceOperation]>([
    ['a Create on an object', { kind: 'create', path: '/3303', values: { 5700: 21.5, 5701: 'Cel' } }],
    ['a Create naming its instance', { kind: 'create', path: '/3303', instanceId: 4, values: { 5750: 'boiler' } }],
    ['a partial update of an instance', { kind: 'writeInstance', path: '/3303/0', values: { 5750: 'boiler' } }],
    ['an Execute with arguments', { kind: 'execute', path: '/3303/0/5605', args: "0='now',1" }],
    ['a Delete of an instance', { kind: 'delete', path: '/3303/1' }],
    ['a Read-Composite including the root', { kind: 'readComposite', paths: ['/3/0/9', '/3303/0', '/'] }],
    ['a Write-Composite with absolute paths', { kind: 'writeComposite', values: { '/3303/0/5750': 'boiler', '/1/0/1': '600' } }],
  ])('accepts %s', (_name, operation) => {
    expect(check(operation)).toEqual({ success: true, data: operation });
  });

  it.each<[string, DeviceOperation, RegExp]>([
    ['a Create on an instance', { kind: 'create', path: '/3303/0', values: { 5700: 1 } }, /object paths/],
    ['a Create of the reserved instance 65535', { kind: 'create', path: '/3303', instanceId: 65535, values: { 5700: 1 } }, /instanceId/],
    ['a Create without values', { kind: 'create', path: '/3303', values: {} }, /no values/],
    ['a value that does not fit its resource', { kind: 'writeInstance', path: '/3303/0', values: { 5700: 'warm' } }, /float/],
    ['a key that is not a resource', { kind: 'writeComposite', values: { '/3303/0': 1 } }, /not a resource/],
    ['an Execute on an instance', { kind: 'execute', path: '/3/0' }, /resource paths/],
    ['malformed Execute arguments', { kind: 'execute', path: '/3/0/4', args: 'ten' }, /execute argument/],
    ['a Delete of an object', { kind: 'delete', path: '/3303' }, /instance/],
    ['a composite with no path', { kind: 'readComposite', paths: [] }, /at least one/],
    ['a composite with a bad path', { kind: 'observeComposite', paths: ['/3/x'] }, /invalid segment/],
  ])('refuses %s with the reason', (_name, operation, reason) => {
    const result = check(operation);
    expect(result.success).toBe(false);
    if (!result.success) expect(result.error).toMatchObject({ name: 'InvalidOperationError', message: expect.stringMatching(reason) });
  });
});

describe('JSON resource values', () => {
  it('take the type of their resource, so text typed at a CLI becomes a number or a time', () => {
    const result = entriesFromJson(path('/3/0'), { 9: '87', 13: '2023-11-14T22:13:20Z', 14: 2, '6/0': 1 }, registry);
    expect(result.success && result.data).toEqual([entry('/3/0/9', 87), entry('/3/0/13', new Date(1_700_000_000_000)), entry('/3/0/14', '2'), entry('/3/0/6/0', 1)]);
  });

  it('carry bytes as base64 and object links as text, both ways', () => {
    const entries = entriesFromJson(LwM2mPath.root(), { '/5/0/0': { base64: 'AQID' }, '/1/0/10': '11:0' }, registry);
    expect(entries.success && toJsonValues(entries.data)).toEqual({ '/5/0/0': { base64: 'AQID' }, '/1/0/10': '11:0' });
  });
});

describe('Execute arguments (LwM2M 1.1 §5.4.5)', () => {
  it('read digits with optional quoted values, commas inside quotes included', () => {
    const parsed = parseExecuteArguments("0='a,b',1,2=''");
    expect(parsed).toEqual({ success: true, data: [{ id: 0, value: 'a,b' }, { id: 1 }, { id: 2, value: '' }] });
    expect(parsed.success && formatExecuteArguments(parsed.data)).toBe("0='a,b',1,2=''");
  });

  it.each(["10='x'", "0='unterminated", '0,0', "0=x", ',', "0='it's'"])('refuse %s', (text) => {
    expect(parseExecuteArguments(text).success).toBe(false);
  });
});

describe('telemetry samples', () => {
  it('sort by measured time, then path, as text', () => {
    expect(telemetrySampleKey(1_700_000_000_000, '/3/0/9')).toBe('001700000000000#/3/0/9');
    expect(telemetrySampleKey(999, '/x') < telemetrySampleKey(1000, '/x')).toBe(true);
  });

  it('use the device time when given, else the time received', () => {
    const samples = toTelemetrySamples('meter-1', [{ ...entry('/3/0/9', 80), time: 5_000 }, entry('/3/0/9', 81)], 'SEND', 9_000);
    expect(samples.map((s) => [s.at, s.value, s.receivedAt, s.source])).toEqual([[5_000, 80, 9_000, 'SEND'], [9_000, 81, 9_000, 'SEND']]);
  });
});
