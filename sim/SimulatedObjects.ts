/**
 * The part of a simulated device's data model beyond firmware: Temperature instances (object
 * 3303) that can be created, written, executed and deleted; Observe of any node with real
 * notifications when values change (and an error notification when the observed instance is
 * deleted); the LwM2M 1.1 composite operations (Read-, Write- and Observe-Composite); and the
 * payload of a Send. It answers like a real client would, in whatever format it is asked for.
 */
import type coap from 'coap';
import { ContentFormat } from '../core/lwm2m/ContentFormat.ts';
import { LwM2mPath } from '../core/lwm2m/LwM2mPath.ts';
import { parseExecuteArguments } from '../core/lwm2m/executeArguments.ts';
import { decodeContent, encodeContent } from '../core/codecs/index.ts';
import type { LwM2mEntry, ResourceValue } from '../core/codecs/model.ts';
import { decodePathList, isSenmlFormat } from '../core/codecs/senmlPaths.ts';
import { acceptOf, contentFormatOf, observeOf, reply, tokenOf, uintOption } from './coapMessages.ts';

export const TEMPERATURE_OBJECT = 3303;
const FIRMWARE_OBJECT = 5;
const SENSOR_VALUE = 5700;
const MIN_MEASURED = 5601;
const MAX_MEASURED = 5602;
const UNITS = 5701;
const RESET_MIN_MAX = 5605;
const APPLICATION_TYPE = 5750;
/** What a server may set on a Temperature instance (Create may also give an initial value). */
const TEMPERATURE_WRITABLE: ReadonlySet<number> = new Set([APPLICATION_TYPE]);
const TEMPERATURE_CREATABLE: ReadonlySet<number> = new Set([SENSOR_VALUE, UNITS, APPLICATION_TYPE]);

/** What the device that owns these objects lends them. */
export interface DataModelHost {
  readonly lwm2mVersion: '1.0' | '1.1' | '1.2';
  /** Values of the device's own objects (1, 3, 5), path -> value. */
  baseResources(): ReadonlyMap<string, ResourceValue>;
  /** Whether the server may write this resource of the device's own objects. */
  isBaseWritable(path: string): boolean;
  writeBase(path: string, value: ResourceValue): void;
}

interface Observer {
  readonly paths: readonly LwM2mPath[];
  readonly composite: boolean;
  readonly format: number;
  readonly stream: coap.OutgoingMessage;
  last: string;
}

export class SimulatedObjects {
  /** Temperature instances: instance id -> resource id -> value. */
  readonly temperatures = new Map<number, Map<number, ResourceValue>>();
  /** Every Execute this device accepted here, with its arguments. */
  readonly executions: { readonly path: string; readonly args: string }[] = [];
  private readonly observers = new Map<string, Observer>();

  constructor(
    private readonly host: DataModelHost,
    temperatureInstances = 0,
  ) {
    for (let id = 0; id < temperatureInstances; id++) this.temperatures.set(id, temperatureInstance(20 + id));
  }

  /** Object links for Register: one per Temperature instance. */
  links(): string[] {
    return [...this.temperatures.keys()].map((id) => `</${TEMPERATURE_OBJECT}/${id}>`);
  }

  /** Observations the device currently serves (each a list of paths). */
  get observations(): string[][] {
    return [...this.observers.values()].map((o) => o.paths.map((p) => p.toString()));
  }

  /** A new measurement: updates min/max and notifies observers whose value changed. */
  setTemperature(instanceId: number, value: number): void {
    const instance = this.temperatures.get(instanceId);
    if (instance === undefined) throw new Error(`no temperature instance ${instanceId}`);
    instance.set(SENSOR_VALUE, value);
    instance.set(MIN_MEASURED, Math.min(Number(instance.get(MIN_MEASURED) ?? value), value));
    instance.set(MAX_MEASURED, Math.max(Number(instance.get(MAX_MEASURED) ?? value), value));
    this.notify();
  }

  /** Every value of the device, its own objects and these. */
  values(): Map<string, ResourceValue> {
    const values = new Map(this.host.baseResources());
    for (const [instanceId, resources] of this.temperatures) {
      for (const [resourceId, value] of resources) values.set(`/${TEMPERATURE_OBJECT}/${instanceId}/${resourceId}`, value);
    }
    return values;
  }

  entriesUnder(path: LwM2mPath): LwM2mEntry[] {
    const entries: LwM2mEntry[] = [];
    for (const [key, value] of this.values()) {
      const parsed = LwM2mPath.parse(key);
      if (parsed.success && path.isPrefixOf(parsed.data)) entries.push({ path: parsed.data, value });
    }
    return entries;
  }

  /** The payload of a Send (§6.4.7): the values under `paths`, named absolutely, in `format`. */
  sendPayload(paths: readonly string[], format: number): Buffer {
    const entries = paths.flatMap((text) => {
      const parsed = LwM2mPath.parse(text);
      return parsed.success ? this.entriesUnder(parsed.data) : [];
    });
    const encoded = encodeContent(format, entries, LwM2mPath.root());
    if (!encoded.success) throw encoded.error;
    return encoded.data;
  }

  /**
   * Answers what this part of the model serves; false leaves the request to the device (reads,
   * writes and executes of objects 1, 3 and 5, Write-Attributes, and the Observe of object 5).
   */
  handle(req: coap.IncomingMessage, res: coap.OutgoingMessage): boolean {
    const target = req.url.split('?')[0] ?? '';
    const observe = observeOf(req);
    if (observe === 1) this.deregister(tokenOf(req));
    if (target === '/' || target === '') {
      if (req.method === 'FETCH') this.fetch(req, res, observe === 0);
      else if (req.method === 'iPATCH') this.writeComposite(req, res);
      else reply(res, '4.05');
      return true;
    }
    const parsed = LwM2mPath.parse(target);
    if (!parsed.success) return false;
    // Write-Attributes (PUT with a query, no payload) is the device's, whatever the object.
    if (req.method === 'PUT' && req.url.includes('?') && req.payload.length === 0) return false;
    const path = parsed.data;
    const ours = path.objectId === TEMPERATURE_OBJECT;
    // Object 5 is the device's own state machine, observed (and notified) by the device itself.
    if (req.method === 'GET' && acceptOf(req) !== ContentFormat.LINK_FORMAT && (ours || (observe === 0 && path.objectId !== FIRMWARE_OBJECT))) {
      this.read(req, res, path, observe === 0);
      return true;
    }
    if (!ours) {
      if (req.method === 'POST' && path.level === 'instance') {
        this.writeBaseInstance(req, res, path);
        return true;
      }
      return false;
    }
    switch (req.method) {
      case 'GET':
        reply(res, '2.05', this.discover(path));
        return true;
      case 'POST':
        if (path.level === 'object') this.create(req, res);
        else if (path.level === 'instance') this.writeTemperature(req, res, path, false);
        else if (path.level === 'resource') this.execute(req, res, path);
        else reply(res, '4.05');
        return true;
      case 'PUT':
        if (path.level === 'instance' || path.level === 'resource') this.writeTemperature(req, res, path, path.level === 'instance');
        else reply(res, '4.05');
        return true;
      case 'DELETE':
        this.delete(res, path);
        return true;
      default:
        reply(res, '4.05');
        return true;
    }
  }

  private defaultFormat(path: LwM2mPath, count: number): number {
    if (path.level === 'resource' && count === 1) return ContentFormat.TEXT;
    return this.host.lwm2mVersion === '1.0' ? ContentFormat.TLV : ContentFormat.SENML_CBOR;
  }

  private read(req: coap.IncomingMessage, res: coap.OutgoingMessage, path: LwM2mPath, observe: boolean): void {
    const entries = this.entriesUnder(path);
    if (entries.length === 0 && path.level !== 'object') {
      reply(res, '4.04');
      return;
    }
    const format = acceptOf(req) ?? this.defaultFormat(path, entries.length);
    const encoded = encodeContent(format, entries, path);
    if (!encoded.success) {
      reply(res, '4.06');
      return;
    }
    res.code = '2.05';
    res.setOption('Content-Format', uintOption(format));
    if (observe) this.register(tokenOf(req), { paths: [path], composite: false, format, stream: res, last: encoded.data.toString('hex') }, encoded.data);
    else res.end(encoded.data);
  }

  /** Read-Composite and Observe-Composite (1.1 §5.4.8, §5.5.3): FETCH on the root with a path list. */
  private fetch(req: coap.IncomingMessage, res: coap.OutgoingMessage, observe: boolean): void {
    const requestFormat = contentFormatOf(req);
    if (!isSenmlFormat(requestFormat)) {
      reply(res, '4.15');
      return;
    }
    const paths = decodePathList(requestFormat, req.payload);
    if (!paths.success) {
      reply(res, '4.00', paths.error.message);
      return;
    }
    const format = acceptOf(req) ?? requestFormat;
    const payload = this.composite(paths.data, format);
    if (payload === undefined) {
      reply(res, '4.06');
      return;
    }
    res.code = '2.05';
    res.setOption('Content-Format', uintOption(format));
    if (observe) this.register(tokenOf(req), { paths: paths.data, composite: true, format, stream: res, last: payload.toString('hex') }, payload);
    else res.end(payload);
  }

  private composite(paths: readonly LwM2mPath[], format: number): Buffer | undefined {
    const entries = paths.flatMap((path) => this.entriesUnder(path));
    const encoded = encodeContent(format, entries, LwM2mPath.root());
    return encoded.success ? encoded.data : undefined;
  }

  /** Write-Composite (1.1 §5.4.9): all or nothing. */
  private writeComposite(req: coap.IncomingMessage, res: coap.OutgoingMessage): void {
    const format = contentFormatOf(req);
    if (!isSenmlFormat(format)) {
      reply(res, '4.15');
      return;
    }
    const decoded = decodeContent(format, req.payload, LwM2mPath.root());
    if (!decoded.success) {
      reply(res, '4.00', decoded.error.message);
      return;
    }
    const writable = decoded.data.every((entry) => this.isWritable(entry.path));
    if (!writable) {
      reply(res, '4.05');
      return;
    }
    for (const entry of decoded.data) this.apply(entry);
    reply(res, '2.04');
    this.notify();
  }

  private isWritable(path: LwM2mPath): boolean {
    if (path.objectId !== TEMPERATURE_OBJECT) return this.host.isBaseWritable(path.toString());
    return this.temperatures.has(path.instanceId ?? -1) && TEMPERATURE_WRITABLE.has(path.resourceId ?? -1);
  }

  private apply(entry: LwM2mEntry): void {
    if (entry.path.objectId !== TEMPERATURE_OBJECT) this.host.writeBase(entry.path.toString(), entry.value);
    else this.temperatures.get(entry.path.instanceId ?? -1)?.set(entry.path.resourceId ?? -1, entry.value);
  }

  /** Write on an instance of objects 1, 3 or 5: partial update of their writable resources. */
  private writeBaseInstance(req: coap.IncomingMessage, res: coap.OutgoingMessage, path: LwM2mPath): void {
    this.write(req, res, path, ContentFormat.TLV);
  }

  /** Write on a Temperature instance (partial update or replace) or one of its resources. */
  private writeTemperature(req: coap.IncomingMessage, res: coap.OutgoingMessage, path: LwM2mPath, replace: boolean): void {
    const instance = this.temperatures.get(path.instanceId ?? -1);
    if (instance === undefined) {
      reply(res, '4.04');
      return;
    }
    this.write(req, res, path, ContentFormat.TEXT, () => {
      if (replace) for (const id of TEMPERATURE_WRITABLE) instance.delete(id);
    });
  }

  /** Decodes a Write, refuses it whole (4.00, 4.05) or applies every entry (2.04) and notifies observers. */
  private write(req: coap.IncomingMessage, res: coap.OutgoingMessage, path: LwM2mPath, defaultFormat: number, beforeApply?: () => void): void {
    const decoded = decodeContent(contentFormatOf(req) ?? defaultFormat, req.payload, path);
    if (!decoded.success) {
      reply(res, '4.00', decoded.error.message);
      return;
    }
    if (!decoded.data.every((entry) => this.isWritable(entry.path))) {
      reply(res, '4.05');
      return;
    }
    beforeApply?.();
    for (const entry of decoded.data) this.apply(entry);
    reply(res, '2.04');
    this.notify();
  }

  /** Create (§5.4.6): the payload names the instance, or (TLV) only its resources and the device picks the id. */
  private create(req: coap.IncomingMessage, res: coap.OutgoingMessage): void {
    const format = contentFormatOf(req) ?? ContentFormat.TLV;
    const object = LwM2mPath.of(TEMPERATURE_OBJECT);
    let entries = decodeContent(format, req.payload, object);
    let newId: number | undefined;
    if (!entries.success && format === ContentFormat.TLV) {
      newId = this.freeInstanceId();
      entries = decodeContent(format, req.payload, object.append(newId));
    }
    if (!entries.success || entries.data.length === 0) {
      reply(res, '4.00', entries.success ? 'no values' : entries.error.message);
      return;
    }
    const ids = new Set(entries.data.map((entry) => entry.path.instanceId));
    const [id] = ids;
    if (ids.size !== 1 || id === undefined) {
      reply(res, '4.00', 'create one instance at a time');
      return;
    }
    if (this.temperatures.has(id)) {
      reply(res, '4.00', `instance ${id} exists`);
      return;
    }
    if (!entries.data.every((entry) => TEMPERATURE_CREATABLE.has(entry.path.resourceId ?? -1) && entry.path.level === 'resource')) {
      reply(res, '4.00', 'unknown or read-only resource');
      return;
    }
    const instance = temperatureInstance(Number(entries.data.find((e) => e.path.resourceId === SENSOR_VALUE)?.value ?? 20));
    for (const entry of entries.data) instance.set(entry.path.resourceId ?? -1, entry.value);
    this.temperatures.set(id, instance);
    res.setOption('Location-Path', [Buffer.from(String(TEMPERATURE_OBJECT)), Buffer.from(String(id))]);
    reply(res, '2.01');
  }

  private freeInstanceId(): number {
    let id = 0;
    while (this.temperatures.has(id)) id++;
    return id;
  }

  /** Execute (§5.4.5): Reset Min and Max Measured Values, with its arguments recorded. */
  private execute(req: coap.IncomingMessage, res: coap.OutgoingMessage, path: LwM2mPath): void {
    const instance = this.temperatures.get(path.instanceId ?? -1);
    if (instance === undefined) {
      reply(res, '4.04');
      return;
    }
    if (path.resourceId !== RESET_MIN_MAX) {
      reply(res, '4.05');
      return;
    }
    const args = req.payload.toString('utf8');
    if (!parseExecuteArguments(args).success) {
      reply(res, '4.00', 'invalid arguments');
      return;
    }
    this.executions.push({ path: path.toString(), args });
    const value = instance.get(SENSOR_VALUE) ?? 0;
    instance.set(MIN_MEASURED, value);
    instance.set(MAX_MEASURED, value);
    reply(res, '2.04');
    this.notify();
  }

  /** Delete (§5.4.7); observers of the instance get a 4.04 notification that ends them (RFC 7641 §3.2). */
  private delete(res: coap.OutgoingMessage, path: LwM2mPath): void {
    if (path.level !== 'instance') {
      reply(res, '4.05');
      return;
    }
    if (!this.temperatures.delete(path.instanceId ?? -1)) {
      reply(res, '4.04');
      return;
    }
    reply(res, '2.02');
    for (const [token, observer] of this.observers) {
      if (observer.composite || !observer.paths.some((p) => path.isPrefixOf(p))) continue;
      this.observers.delete(token);
      observer.stream.statusCode = '4.04';
      observer.stream.write(Buffer.alloc(0));
      observer.stream.end();
    }
  }

  private discover(path: LwM2mPath): string {
    const links = [`<${path.toString()}>`];
    for (const entry of this.entriesUnder(path)) {
      const link = `<${entry.path.toString()}>`;
      if (!links.includes(link)) links.push(link);
    }
    return links.join(',');
  }

  private register(token: string, observer: Observer, first: Buffer): void {
    this.observers.get(token)?.stream.end();
    this.observers.set(token, observer);
    observer.stream.write(first);
    // node-coap ends the stream when the server answers a notification with RST (RFC 7641 §3.6).
    const forget = (): void => {
      if (this.observers.get(token) === observer) this.observers.delete(token);
    };
    observer.stream.on('finish', forget);
    observer.stream.on('error', forget);
  }

  /** GET with Observe 1 (RFC 7641 §3.6): the observer with that token stops. */
  private deregister(token: string): void {
    const observer = this.observers.get(token);
    if (observer === undefined) return;
    this.observers.delete(token);
    observer.stream.end();
  }

  /** Sends a notification to every observer whose encoded value changed. */
  notify(): void {
    for (const observer of this.observers.values()) {
      const payload = observer.composite
        ? this.composite(observer.paths, observer.format)
        : encodeOrUndefined(observer.format, this.entriesUnder(observer.paths[0] ?? LwM2mPath.root()), observer.paths[0] ?? LwM2mPath.root());
      if (payload === undefined) continue;
      const hex = payload.toString('hex');
      if (hex === observer.last) continue;
      observer.last = hex;
      observer.stream.write(payload);
    }
  }
}

function encodeOrUndefined(format: number, entries: readonly LwM2mEntry[], path: LwM2mPath): Buffer | undefined {
  const encoded = encodeContent(format, entries, path);
  return encoded.success ? encoded.data : undefined;
}

function temperatureInstance(value: number): Map<number, ResourceValue> {
  return new Map<number, ResourceValue>([
    [SENSOR_VALUE, value],
    [MIN_MEASURED, value],
    [MAX_MEASURED, value],
    [UNITS, 'Cel'],
  ]);
}
