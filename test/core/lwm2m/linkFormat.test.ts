import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LinkFormatError } from '../../../core/lwm2m/errors.ts';
import { encodeLinkFormat, parseLinkFormat, registrationObjectLinks, type Link } from '../../../core/lwm2m/linkFormat.ts';

function links(text: string): Link[] {
  const result = parseLinkFormat(text);
  if (!result.success) throw result.error;
  return result.data;
}

describe('parseLinkFormat', () => {
  it('reads a LwM2M Register payload', () => {
    // Act
    const result = links('</>;rt="oma.lwm2m";ct=110,</1/0>,</3/0>,</5>;ver=1.1,</5/0>');

    // Assess
    expect(result).toEqual([
      { target: '/', attributes: { rt: 'oma.lwm2m', ct: '110' } },
      { target: '/1/0', attributes: {} },
      { target: '/3/0', attributes: {} },
      { target: '/5', attributes: { ver: '1.1' } },
      { target: '/5/0', attributes: {} },
    ]);
  });

  it('returns no links for an empty or blank payload', () => {
    expect(links('')).toEqual([]);
    expect(links(' \r\n ')).toEqual([]);
  });

  it('tolerates whitespace and line breaks around links and parameters', () => {
    expect(links(' </1/0> ;\n ver = 1.0 ,\n\t</3/0>\n')).toEqual([
      { target: '/1/0', attributes: { ver: '1.0' } },
      { target: '/3/0', attributes: {} },
    ]);
  });

  it('keeps commas and semicolons inside quoted values', () => {
    expect(links('</3/0>;title="a, b; c",</4/0>')).toEqual([
      { target: '/3/0', attributes: { title: 'a, b; c' } },
      { target: '/4/0', attributes: {} },
    ]);
  });

  it('unescapes backslashes in quoted values', () => {
    expect(links('</a>;title="say \\"hi\\""')[0]?.attributes['title']).toBe('say "hi"');
  });

  it('maps a parameter without a value to true', () => {
    expect(links('</3/0/13>;obs')[0]?.attributes).toEqual({ obs: true });
  });

  it('keeps the first of repeated parameters', () => {
    expect(links('</a>;ct=0;ct=40')[0]?.attributes).toEqual({ ct: '0' });
  });

  it('skips empty list entries such as a trailing comma', () => {
    expect(links('</1/0>,,</3/0>,').map((l) => l.target)).toEqual(['/1/0', '/3/0']);
  });

  it('keeps a parameter named __proto__ as a plain key', () => {
    const [link] = links('</a>;__proto__=1');
    expect(Object.keys(link?.attributes ?? {})).toEqual(['__proto__']);
  });

  it.each([
    ['an unterminated "<"', '</1/0'],
    ['a missing ">"', '</1/0,</3/0>'],
    ['text outside a link', 'hello'],
    ['junk after a link', '</1/0> junk'],
    ['an unterminated quote', '</1/0>;rt="oma'],
    ['an empty parameter name', '</1/0>;=1'],
    ['a raw space inside a value', '</1/0>;ct=60 110'],
  ])('rejects %s', (_case, text) => {
    // Act
    const result = parseLinkFormat(text);

    // Assess
    expect(result.success).toBe(false);
    if (!result.success) expect(result.error).toBeInstanceOf(LinkFormatError);
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80, unit: fc.constantFrom('<', '>', '/', '1', ';', ',', '=', '"', ' ', 'a', '\\') }), (text) => {
        expect(() => parseLinkFormat(text)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });
});

describe('encodeLinkFormat', () => {
  it('writes numbers bare and other values quoted', () => {
    const text = encodeLinkFormat([
      { target: '/', attributes: { rt: 'oma.lwm2m', ct: '110' } },
      { target: '/5', attributes: { ver: '1.1', obs: true } },
    ]);
    expect(text).toBe('</>;rt="oma.lwm2m";ct=110,</5>;ver=1.1;obs');
  });

  it('round-trips through parseLinkFormat', () => {
    // Prepare
    const original: Link[] = [
      { target: '/3/0', attributes: { title: 'a "quoted", odd; value', pmin: '10' } },
      { target: '/3303/0/5700', attributes: { obs: true } },
    ];

    // Act
    const parsed = links(encodeLinkFormat(original));

    // Assess
    expect(parsed).toEqual(original);
  });
});

describe('registrationObjectLinks', () => {
  it('lists announced objects, instances, versions and formats', () => {
    // Act
    const result = registrationObjectLinks(links('</>;rt="oma.lwm2m";ct=110,</1/0>,</3/0>,</5>;ver=1.1,</5/0>'));

    // Assess
    expect(result).toEqual({
      rootPath: '/',
      supportedFormats: [110],
      objects: [
        { objectId: 1, instanceId: 0 },
        { objectId: 3, instanceId: 0 },
        { objectId: 5, version: '1.1' },
        { objectId: 5, instanceId: 0 },
      ],
    });
  });

  it('reads a quoted, space-separated ct list and maps legacy numbers', () => {
    const result = registrationObjectLinks(links('</>;rt="oma.lwm2m";ct="60 110 112 1542"'));
    expect(result.supportedFormats).toEqual([60, 110, 112, 11542]);
  });

  it('accepts a quoted ver', () => {
    const result = registrationObjectLinks(links('</3>;ver="1.1",</3/0>'));
    expect(result.objects[0]).toEqual({ objectId: 3, version: '1.1' });
  });

  it('strips an alternate root path from object links', () => {
    // Act
    const result = registrationObjectLinks(links('</lwm2m>;rt="oma.lwm2m",</lwm2m/1/0>,</lwm2m/3/0>'));

    // Assess
    expect(result.rootPath).toBe('/lwm2m');
    expect(result.objects).toEqual([
      { objectId: 1, instanceId: 0 },
      { objectId: 3, instanceId: 0 },
    ]);
  });

  it('ignores links that are not object or instance paths', () => {
    const result = registrationObjectLinks(links('</3/0>,</3/0/1>,</foo>,</99999>,<coap://x/1>'));
    expect(result.objects).toEqual([{ objectId: 3, instanceId: 0 }]);
  });

  it('works without a root link, as many 1.0 clients send', () => {
    const result = registrationObjectLinks(links('</1/0>,</3/0>'));
    expect(result).toEqual({ supportedFormats: [], objects: [{ objectId: 1, instanceId: 0 }, { objectId: 3, instanceId: 0 }] });
  });
});
