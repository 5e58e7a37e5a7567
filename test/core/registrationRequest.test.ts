import { describe, expect, it } from 'vitest';
import { parseRegisterQuery, parseUpdateQuery } from '../../core/lwm2m/registrationRequest.ts';

describe('Register query parameters', () => {
  it('reads a 1.1 registration with queue mode as the Q flag', () => {
    const parsed = parseRegisterQuery('ep=meter-1&lt=300&lwm2m=1.1&b=U&Q');
    expect(parsed).toEqual({ success: true, data: { endpoint: 'meter-1', lifetimeSeconds: 300, lwm2mVersion: '1.1', binding: 'U', queueMode: true } });
  });

  it('applies the defaults for a client that sends only its name', () => {
    const parsed = parseRegisterQuery('ep=bare');
    expect(parsed.success && parsed.data).toMatchObject({ lifetimeSeconds: 86400, lwm2mVersion: '1.0', binding: 'U', queueMode: false });
  });

  it('accepts the 1.0 binding UQ as queue mode and a quoted version', () => {
    const parsed = parseRegisterQuery('ep=old&b=UQ&lwm2m="1.0"');
    expect(parsed.success && parsed.data).toMatchObject({ binding: 'U', queueMode: true, lwm2mVersion: '1.0' });
  });

  it('refuses a missing endpoint, a bad lifetime, an unknown version and a bad binding with a reason', () => {
    const cases: [string, RegExp][] = [
      ['lt=60', /endpoint/],
      ['ep=a&lt=soon', /lifetime/],
      ['ep=a&lt=0', /lifetime/],
      ['ep=a&lwm2m=2.0', /version/],
      ['ep=a&lwm2m=1.0&b=T', /binding/],
      ['ep=a&b=', /binding/],
    ];
    for (const [query, reason] of cases) {
      const parsed = parseRegisterQuery(query);
      expect(parsed.success, query).toBe(false);
      if (!parsed.success) expect(parsed.error.message).toMatch(reason);
    }
  });

  it('reads an Update that only changes the lifetime', () => {
    expect(parseUpdateQuery('lt=120', '1.1')).toEqual({ success: true, data: { lifetimeSeconds: 120 } });
    expect(parseUpdateQuery('', '1.1')).toEqual({ success: true, data: {} });
  });
});
