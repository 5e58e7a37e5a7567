import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeContent } from '../../../core/codecs/index.ts';
import { parseObjectDefinitions } from '../../../core/lwm2m/ddf.ts';
import { ObjectRegistry } from '../../../core/lwm2m/objectRegistry.ts';
import { OMA_OBJECTS } from '../../../core/lwm2m/omaObjects.ts';
import { parseXml } from '../../../core/lwm2m/xml.ts';
import { path } from '../codecs/helpers.ts';

const VALVE = readFileSync(new URL('./fixtures/10241-valve.xml', import.meta.url), 'utf8');

const ddf = (resources: string, object = '<ObjectID>10242</ObjectID><Name>X</Name><MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory>') =>
  `<LWM2M><Object>${object}<Resources>${resources}</Resources></Object></LWM2M>`;
const item = (id: string, type: string, operations = 'R') =>
  `<Item ID="${id}"><Name>R${id}</Name><Operations>${operations}</Operations><MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory><Type>${type}</Type></Item>`;

describe('object definitions (DDF)', () => {
  it('read a vendor object with its identity, version and instance rules', () => {
    const parsed = parseObjectDefinitions(VALVE);
    expect(parsed.success && parsed.data.map(({ id, name, version, multiple, mandatory }) => ({ id, name, version, multiple, mandatory }))).toEqual([
      { id: 10241, name: 'Gas Valve', version: '1.1', multiple: true, mandatory: false },
    ]);
  });

  it('read every resource with operations, type, multiplicity and obligation', () => {
    const parsed = parseObjectDefinitions(VALVE);
    const resources = parsed.success ? [...(parsed.data[0]?.resources.values() ?? [])] : [];
    expect(resources).toEqual([
      { id: 0, name: 'Valve Position', operations: 'R', type: 'integer', multiple: false, mandatory: true },
      { id: 1, name: 'Close', operations: 'E', type: 'none', multiple: false, mandatory: true },
      { id: 2, name: 'Flow Rate', operations: 'R', type: 'float', multiple: false, mandatory: false },
      { id: 3, name: 'Leak Threshold', operations: 'RW', type: 'unsignedInteger', multiple: false, mandatory: false },
      { id: 4, name: 'Last Closed', operations: 'R', type: 'time', multiple: true, mandatory: false },
      { id: 5, name: 'Linked Meter', operations: 'RW', type: 'objlnk', multiple: false, mandatory: false },
    ]);
  });

  it('give the codecs the types of a custom object once registered', () => {
    // Prepare
    const parsed = parseObjectDefinitions(VALVE);
    const registry = new ObjectRegistry(OMA_OBJECTS);
    if (parsed.success) for (const model of parsed.data) registry.register(model);
    const pack = Buffer.from('[{"bn":"/10241/0/","n":"2","v":1},{"n":"4/0","v":1700000000},{"n":"5","vlo":"3:0"}]');

    // Act
    const decoded = decodeContent(110, pack, path('/10241/0'), registry);

    // Assess
    expect(decoded.success && decoded.data.map((e) => e.value)).toEqual([1, new Date(1_700_000_000_000), { objectId: 3, instanceId: 0 }]);
  });

  it.each([
    ['a root other than LWM2M', '<Objects/>', /expected <LWM2M>/],
    ['no object', '<LWM2M></LWM2M>', /no <Object>/],
    ['an object id that is not a number', ddf('', '<ObjectID>abc</ObjectID>'), /ObjectID/],
    ['an unknown resource type', ddf(item('0', 'Decimal')), /unknown Type "Decimal"/],
    ['unknown operations', ddf(item('0', 'Integer', 'X')), /Operations/],
    ['a resource defined twice', ddf(item('0', 'Integer') + item('0', 'String')), /defined twice/],
    ['a resource without an id', ddf(item('', 'Integer')), /resource ID/],
  ])('refuse %s, naming the problem', (_name, xml, reason) => {
    const parsed = parseObjectDefinitions(xml);
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(parsed.error.message).toMatch(reason);
  });
});

describe('the XML reader', () => {
  it('decodes entities, character references and CDATA, and skips comments and declarations', () => {
    const parsed = parseXml('<?xml version="1.0"?><!-- c --><a x="1 &amp; 2"><b>&lt;&#65;&#x42;&gt;</b><c><![CDATA[<raw> & ]]></c><d/></a>');
    expect(parsed.success && parsed.data.attributes.get('x')).toBe('1 & 2');
    expect(parsed.success && parsed.data.children.map((c) => [c.name, c.text])).toEqual([['b', '<AB>'], ['c', '<raw> & '], ['d', '']]);
  });

  it.each([
    ['mismatched tags', '<a><b></a></b>'],
    ['an unclosed element', '<a><b></b>'],
    ['an unknown entity', '<a>&nbsp;</a>'],
    ['a bare ampersand', '<a>fish & chips</a>'],
    ['two roots', '<a/><b/>'],
    ['a DOCTYPE with an internal subset (entity expansion)', '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'],
    ['text outside the root', 'hello<a/>'],
  ])('refuses %s', (_name, xml) => {
    expect(parseXml(xml).success).toBe(false);
  });

  it('refuses elements nested deeper than 32 levels', () => {
    expect(parseXml(`${'<a>'.repeat(40)}${'</a>'.repeat(40)}`).success).toBe(false);
  });
});
