/**
 * What an edge task remembers of the devices it served (coap-edge/registration/KnownDevices.ts):
 * addresses for Send, registration ids for a quick Update, and a bound on both.
 */
import { describe, expect, it } from 'vitest';
import { KnownDevices } from '../../coap-edge/registration/KnownDevices.ts';

describe('KnownDevices', () => {
  it('names the endpoint last heard from an address and the endpoint of a registration id', () => {
    const known = new KnownDevices(10);

    known.heardFrom('meter-1', '10.0.0.1:5683', 'rid-1');

    expect(known.endpointAt('10.0.0.1:5683')).toBe('meter-1');
    expect(known.endpointWithRegistrationId('rid-1')).toBe('meter-1');
  });

  it('answers the endpoint an address is taken from, which is no longer known there', () => {
    const known = new KnownDevices(10);
    known.heardFrom('meter-1', '10.0.0.1:5683', 'rid-1');

    const displaced = known.heardFrom('meter-2', '10.0.0.1:5683', 'rid-2');

    expect(displaced).toBe('meter-1');
    expect(known.endpointAt('10.0.0.1:5683')).toBe('meter-2');
    expect(known.endpointWithRegistrationId('rid-1')).toBe('meter-1');
  });

  it('moves an endpoint to its new address and keeps its registration id across an Update', () => {
    const known = new KnownDevices(10);
    known.heardFrom('meter-1', '10.0.0.1:5683', 'rid-1');

    const displaced = known.heardFrom('meter-1', '10.0.0.1:6000');

    expect(displaced).toBeUndefined();
    expect(known.endpointAt('10.0.0.1:5683')).toBeUndefined();
    expect(known.endpointAt('10.0.0.1:6000')).toBe('meter-1');
    expect(known.endpointWithRegistrationId('rid-1')).toBe('meter-1');
  });

  it('forgets the old registration id when the endpoint registers again', () => {
    const known = new KnownDevices(10);
    known.heardFrom('meter-1', '10.0.0.1:5683', 'rid-1');

    known.heardFrom('meter-1', '10.0.0.1:5683', 'rid-2');

    expect(known.endpointWithRegistrationId('rid-1')).toBeUndefined();
    expect(known.endpointWithRegistrationId('rid-2')).toBe('meter-1');
  });

  it('forgets a de-registered endpoint entirely', () => {
    const known = new KnownDevices(10);
    known.heardFrom('meter-1', '10.0.0.1:5683', 'rid-1');

    known.forget('meter-1');

    expect(known.size).toBe(0);
    expect(known.endpointAt('10.0.0.1:5683')).toBeUndefined();
    expect(known.endpointWithRegistrationId('rid-1')).toBeUndefined();
  });

  it('holds no more than its capacity, forgetting the endpoint heard from least recently', () => {
    const known = new KnownDevices(3);
    known.heardFrom('meter-1', '10.0.0.1:1', 'rid-1');
    known.heardFrom('meter-2', '10.0.0.1:2', 'rid-2');
    known.heardFrom('meter-3', '10.0.0.1:3', 'rid-3');
    known.heardFrom('meter-1', '10.0.0.1:1'); // an Update: meter-1 is now the most recent

    known.heardFrom('meter-4', '10.0.0.1:4', 'rid-4');

    expect(known.size).toBe(3);
    expect(known.endpointAt('10.0.0.1:2')).toBeUndefined();
    expect(known.endpointWithRegistrationId('rid-2')).toBeUndefined();
    expect(known.endpointAt('10.0.0.1:1')).toBe('meter-1');
    expect(known.endpointWithRegistrationId('rid-4')).toBe('meter-4');
  });

  it('stays at its capacity through many more devices than it holds', () => {
    const known = new KnownDevices(100);

    for (let i = 0; i < 10_000; i++) known.heardFrom(`meter-${i}`, `10.0.${i >> 8}.${i & 255}:5683`, `rid-${i}`);

    expect(known.size).toBe(100);
    expect(known.endpointWithRegistrationId('rid-9999')).toBe('meter-9999');
    expect(known.endpointWithRegistrationId('rid-0')).toBeUndefined();
  });
});
