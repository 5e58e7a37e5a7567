import { describe, expect, it } from 'vitest';
import { subnetOf } from '../../dtls/sourceSubnet.ts';

describe('the network of a source address (per-network handshake cap)', () => {
  it('is the /24 of an IPv4 address', () => {
    expect(subnetOf('192.168.100.254')).toBe('192.168.100.0/24');
  });

  it('is the /24 of an IPv4-mapped IPv6 address, as a dual-stack socket reports IPv4 peers', () => {
    expect(subnetOf('::ffff:10.1.2.3')).toBe('10.1.2.0/24');
  });

  it('is the same /64 for two compressed IPv6 addresses of one network', () => {
    expect(subnetOf('2001:db8:0:1::1')).toBe('2001:db8:0:1::/64');
    expect(subnetOf('2001:db8:0:1::2')).toBe(subnetOf('2001:db8:0:1::1'));
    expect(subnetOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(subnetOf('2001:db8::1')).toBe(subnetOf('2001:0db8:0000:0000:ffff::9'));
  });

  it('tells different /64s apart', () => {
    expect(subnetOf('2001:db8:0:1::1')).not.toBe(subnetOf('2001:db8:0:2::1'));
    expect(subnetOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });
});
