/**
 * Object models from OMA object definition files (DDF, the XML of the OMA LwM2M registry and of
 * vendors' custom objects, schema LWM2M.xsd): `<LWM2M><Object><ObjectID>..<Resources><Item ID=..>`.
 * Text in, models out; reading the files is the caller's business (core does no I/O).
 */
import { fail, ok, type Result } from '../result.ts';
import { ObjectDefinitionError } from './errors.ts';
import { MAX_ID } from './LwM2mPath.ts';
import type { ObjectModel, ResourceModel, ResourceOperations, ResourceType } from './objectRegistry.ts';
import { child, parseXml, type XmlElement } from './xml.ts';

const TYPES: Readonly<Record<string, ResourceType>> = {
  string: 'string',
  integer: 'integer',
  'unsigned integer': 'unsignedInteger',
  unsignedinteger: 'unsignedInteger',
  float: 'float',
  boolean: 'boolean',
  opaque: 'opaque',
  time: 'time',
  objlnk: 'objlnk',
  corelnk: 'corelnk',
  none: 'none',
  '': 'none',
};

const OPERATIONS: Readonly<Record<string, ResourceOperations>> = { R: 'R', W: 'W', RW: 'RW', E: 'E', '': '' };

function textOf(element: XmlElement, name: string): string | undefined {
  return child(element, name)?.text.trim();
}

function id(text: string | undefined, what: string): Result<number, ObjectDefinitionError> {
  if (text === undefined || !/^\d{1,5}$/.test(text) || Number(text) > MAX_ID) {
    return fail(new ObjectDefinitionError(`${what} must be an integer 0..${MAX_ID}, got "${(text ?? '').slice(0, 20)}"`));
  }
  return ok(Number(text));
}

/** "Multiple"/"Single" and "Mandatory"/"Optional", case-insensitive as vendor files vary. */
function choice(text: string | undefined, yes: string, no: string, what: string): Result<boolean, ObjectDefinitionError> {
  const value = (text ?? '').toLowerCase();
  if (value === yes.toLowerCase()) return ok(true);
  if (value === no.toLowerCase()) return ok(false);
  return fail(new ObjectDefinitionError(`${what} must be ${yes} or ${no}, got "${(text ?? '').slice(0, 20)}"`));
}

function resource(item: XmlElement, objectId: number): Result<ResourceModel, ObjectDefinitionError> {
  const rid = id(item.attributes.get('ID'), `object ${objectId}: resource ID`);
  if (!rid.success) return rid;
  const where = `object ${objectId} resource ${rid.data}`;
  const name = textOf(item, 'Name');
  if (name === undefined || name === '') return fail(new ObjectDefinitionError(`${where}: Name is missing`));
  const operations = OPERATIONS[(textOf(item, 'Operations') ?? '').toUpperCase()];
  if (operations === undefined) return fail(new ObjectDefinitionError(`${where}: Operations must be R, W, RW, E or empty`));
  const type = TYPES[(textOf(item, 'Type') ?? '').toLowerCase()];
  if (type === undefined) return fail(new ObjectDefinitionError(`${where}: unknown Type "${(textOf(item, 'Type') ?? '').slice(0, 30)}"`));
  const multiple = choice(textOf(item, 'MultipleInstances'), 'Multiple', 'Single', `${where}: MultipleInstances`);
  if (!multiple.success) return multiple;
  const mandatory = choice(textOf(item, 'Mandatory'), 'Mandatory', 'Optional', `${where}: Mandatory`);
  if (!mandatory.success) return mandatory;
  // An executable resource has no value type, whatever the file says.
  return ok(Object.freeze({ id: rid.data, name, operations, type: operations === 'E' ? 'none' : type, multiple: multiple.data, mandatory: mandatory.data }));
}

function objectModel(element: XmlElement): Result<ObjectModel, ObjectDefinitionError> {
  const objectId = id(textOf(element, 'ObjectID'), 'ObjectID');
  if (!objectId.success) return objectId;
  const where = `object ${objectId.data}`;
  const name = textOf(element, 'Name');
  if (name === undefined || name === '') return fail(new ObjectDefinitionError(`${where}: Name is missing`));
  const version = textOf(element, 'ObjectVersion') || '1.0';
  if (!/^\d{1,3}\.\d{1,3}$/.test(version)) return fail(new ObjectDefinitionError(`${where}: ObjectVersion "${version.slice(0, 20)}" is not major.minor`));
  const multiple = choice(textOf(element, 'MultipleInstances'), 'Multiple', 'Single', `${where}: MultipleInstances`);
  if (!multiple.success) return multiple;
  const mandatory = choice(textOf(element, 'Mandatory'), 'Mandatory', 'Optional', `${where}: Mandatory`);
  if (!mandatory.success) return mandatory;
  const resources = new Map<number, ResourceModel>();
  for (const item of child(element, 'Resources')?.children ?? []) {
    if (item.name !== 'Item') continue;
    const parsed = resource(item, objectId.data);
    if (!parsed.success) return parsed;
    if (resources.has(parsed.data.id)) return fail(new ObjectDefinitionError(`${where}: resource ${parsed.data.id} is defined twice`));
    resources.set(parsed.data.id, parsed.data);
  }
  return ok(Object.freeze({ id: objectId.data, name, version, multiple: multiple.data, mandatory: mandatory.data, resources }));
}

/** Every `<Object>` of a DDF document (usually one). */
export function parseObjectDefinitions(xml: string): Result<ObjectModel[], ObjectDefinitionError> {
  const document = parseXml(xml);
  if (!document.success) return document;
  if (document.data.name !== 'LWM2M') return fail(new ObjectDefinitionError(`root element is <${document.data.name}>, expected <LWM2M>`));
  const models: ObjectModel[] = [];
  for (const element of document.data.children) {
    if (element.name !== 'Object') continue;
    const model = objectModel(element);
    if (!model.success) return model;
    models.push(model.data);
  }
  if (models.length === 0) return fail(new ObjectDefinitionError('the document defines no <Object>'));
  return ok(models);
}
