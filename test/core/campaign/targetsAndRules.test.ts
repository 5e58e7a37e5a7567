import { describe, expect, it } from 'vitest';
import type { DeviceRegistration } from '../../../core/devices/DeviceRegistration.ts';
import { applyTagChange, TooManyTagsError } from '../../../core/devices/deviceTags.ts';
import { selectTargets, unmatchedTarget } from '../../../core/campaign/targets.ts';
import { definitionProblems, matchProblems } from '../../../core/campaign/definitionRules.ts';

const registration = (endpoint: string, tags: Partial<Pick<DeviceRegistration, 'groups' | 'attributes'>>): DeviceRegistration => ({
  endpoint, registrationId: endpoint, address: '127.0.0.1', port: 1, lifetimeSeconds: 60, lwm2mVersion: '1.1', binding: 'U', queueMode: false,
  objectLinks: [], supportedFormats: [], ownerTask: 't', registeredAt: 0, lastSeen: 0, model: 'M', firmwareVersion: '1.0.0', ...tags,
});

describe('device tags', () => {
  it('adds groups once, sorted, sets and removes attributes; removing what is absent changes nothing', () => {
    const tags = applyTagChange({ groups: ['b'], attributes: { site: 'x' } }, { addGroups: ['a', 'b'], setAttributes: { region: 'eu' } });
    expect(tags).toEqual({ groups: ['a', 'b'], attributes: { site: 'x', region: 'eu' } });
    expect(applyTagChange(tags, { removeGroups: ['b', 'zz'], removeAttributes: ['site', 'nope'] })).toEqual({ groups: ['a'], attributes: { region: 'eu' } });
  });

  it('refuses more than 50 groups on a device', () => {
    expect(() => applyTagChange({ groups: [], attributes: {} }, { addGroups: Array.from({ length: 51 }, (_, i) => `g${i}`) })).toThrow(TooManyTagsError);
  });
});

describe('targets by group and attribute', () => {
  const devices = [registration('a', { groups: ['north'], attributes: { site: 'lab' } }), registration('b', { groups: ['south'], attributes: { site: 'lab', tier: 'gold' } }), registration('c', {})];
  const matched = (target: Parameters<typeof selectTargets>[1]) => selectTargets(devices, target, '2.0.0').eligible.map((d) => d.endpoint);

  it('matches devices in any of the groups', () => {
    expect(matched({ groups: ['north', 'south'] })).toEqual(['a', 'b']);
    expect(matched({ groups: ['east'] })).toEqual([]);
  });

  it('matches devices carrying every attribute with its value', () => {
    expect(matched({ attributes: { site: 'lab' } })).toEqual(['a', 'b']);
    expect(matched({ attributes: { site: 'lab', tier: 'gold' } })).toEqual(['b']);
    expect(matched({ groups: ['north'], attributes: { tier: 'gold' } })).toEqual([]);
  });

  it('names endpoints that are not registered and groups no device is in', () => {
    expect(unmatchedTarget(devices, { endpoints: ['c', 'ghost'], groups: ['north', 'empty'] })).toEqual({ unknownEndpoints: ['ghost'], emptyGroups: ['empty'] });
  });
});

describe('campaign definition rules', () => {
  it('names the field of each cross-field problem', () => {
    const problems = definitionProblems({ pollSeconds: 30, maxPollSeconds: 10, target: { firmwareVersions: { min: '2.0.0', max: '1.9.9' } }, rate: { devicesPerMinute: 10, maxDevicesPerMinute: 5 } });
    expect(problems.map((p) => p.field)).toEqual(['maxPollSeconds', 'target.firmwareVersions.min', 'rate.maxDevicesPerMinute']);
    expect(definitionProblems({ pollSeconds: 30, maxPollSeconds: 30, target: { firmwareVersions: { min: '1.0.0', max: '1.0.0' } } })).toEqual([]);
  });

  it('reports a target matching nothing and a canary as large as the devices to update', () => {
    expect(matchProblems([{ percent: 100 }], 0, 0).map((p) => p.field)).toEqual(['target']);
    expect(matchProblems([{ count: 5 }, { percent: 100 }], 6, 5).map((p) => p.field)).toEqual(['cohorts.0.count']);
    expect(matchProblems([{ count: 4 }, { percent: 100 }], 6, 5)).toEqual([]);
    expect(matchProblems([{ count: 9 }], 6, 5)).toEqual([]);
  });
});
