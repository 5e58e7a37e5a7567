import { fail, ok, type Result } from '../result.ts';
import { normalizeContentFormat } from './ContentFormat.ts';
import { LinkFormatError } from './errors.ts';
import { LwM2mPath } from './LwM2mPath.ts';

/** One link of a CoRE Link Format payload (RFC 6690 §2). */
export interface Link {
  readonly target: string;
  /** Quoted values are unquoted; a parameter without `=value` is `true`. */
  readonly attributes: Readonly<Record<string, string | true>>;
}

/** What a Register/Update payload announces (LwM2M TS 1.1 §6.2.1, §7.4 `ct=`). */
export interface RegistrationObjectLinks {
  /** Target of the `rt="oma.lwm2m"` link, e.g. `/` or an alternate path `/lwm2m`. */
  readonly rootPath?: string;
  /** Content formats from the root link's `ct`, legacy numbers mapped to IANA ones. */
  readonly supportedFormats: number[];
  readonly objects: { objectId: number; instanceId?: number; version?: string }[];
}

// RFC 6690 parmname / RFC 8288 token characters.
const PARAM_NAME = /^[A-Za-z0-9!#$&+\-.^_`|~*]+$/;
const WHITESPACE = new Set([' ', '\t', '\r', '\n']);

/**
 * Parses RFC 6690 link format. Liberal about whitespace, empty payloads, empty list entries and
 * commas or semicolons inside quoted values; strict about anything that is not `<target>` plus
 * `;param[=value]`. Runs in linear time.
 */
export function parseLinkFormat(text: string): Result<Link[], LinkFormatError> {
  const links: Link[] = [];
  let pos = 0;
  const skipSpace = (): void => {
    while (pos < text.length && WHITESPACE.has(text.charAt(pos))) pos++;
  };
  const error = (message: string): Result<Link[], LinkFormatError> =>
    fail(new LinkFormatError(`${message} at offset ${pos}`));

  while (true) {
    skipSpace();
    if (pos >= text.length) return ok(links);
    if (text.charAt(pos) === ',') {
      pos++; // empty list entry, e.g. a trailing comma
      continue;
    }
    if (text.charAt(pos) !== '<') return error('expected "<"');
    const close = text.indexOf('>', pos + 1);
    if (close < 0) return error('unterminated "<"');
    const target = text.slice(pos + 1, close);
    if (target.includes('<')) return error('missing ">"');
    pos = close + 1;
    // A Map, not an object literal: a parameter named __proto__ must stay a plain key.
    const attributes = new Map<string, string | true>();
    skipSpace();
    while (pos < text.length && text.charAt(pos) === ';') {
      pos++;
      skipSpace();
      const nameStart = pos;
      while (pos < text.length && !'=;,'.includes(text.charAt(pos)) && !WHITESPACE.has(text.charAt(pos))) pos++;
      const name = text.slice(nameStart, pos);
      if (!PARAM_NAME.test(name)) return error(`invalid parameter name "${name}"`);
      skipSpace();
      let value: string | true = true;
      if (text.charAt(pos) === '=') {
        pos++;
        skipSpace();
        if (text.charAt(pos) === '"') {
          let unquoted = '';
          pos++;
          while (pos < text.length && text.charAt(pos) !== '"') {
            if (text.charAt(pos) === '\\' && pos + 1 < text.length) pos++;
            unquoted += text.charAt(pos);
            pos++;
          }
          if (pos >= text.length) return error('unterminated quoted value');
          pos++;
          value = unquoted;
        } else {
          const valueStart = pos;
          while (pos < text.length && !';,'.includes(text.charAt(pos))) pos++;
          value = text.slice(valueStart, pos).trim();
          if (/[<>"\s]/.test(value)) return error(`invalid parameter value "${value}"`);
        }
      }
      // RFC 6690 §3: only the first occurrence of a parameter counts.
      if (!attributes.has(name)) attributes.set(name, value);
      skipSpace();
    }
    links.push({ target, attributes: Object.fromEntries(attributes) });
    skipSpace();
    if (pos < text.length) {
      if (text.charAt(pos) !== ',') return error('expected "," or ";"');
      pos++;
    }
  }
}

function encodeValue(value: string): string {
  return /^\d+(\.\d+)?$/.test(value) ? value : `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Encodes links; numeric values stay bare (`ct=110`, `ver=1.1`), others are quoted. */
export function encodeLinkFormat(links: readonly Link[]): string {
  return links
    .map((link) => {
      const params = Object.entries(link.attributes).map(([name, value]) =>
        value === true ? `;${name}` : `;${name}=${encodeValue(value)}`,
      );
      return `<${link.target.replace(/>/g, '%3E')}>${params.join('')}`;
    })
    .join(',');
}

function isRootLink(link: Link): boolean {
  const rt = link.attributes['rt'];
  if (typeof rt === 'string' && rt.split(/\s+/).includes('oma.lwm2m')) return true;
  return link.target === '/' || link.target === '';
}

function normalizeRoot(target: string): string {
  const withSlash = target.startsWith('/') ? target : `/${target}`;
  return withSlash.length > 1 && withSlash.endsWith('/') ? withSlash.slice(0, -1) : withSlash;
}

function parseFormats(ct: string | true | undefined): number[] {
  if (typeof ct !== 'string') return [];
  const formats: number[] = [];
  for (const token of ct.split(/\s+/)) {
    if (!/^\d{1,5}$/.test(token)) continue;
    const n = Number(token);
    const format = normalizeContentFormat(n) ?? n;
    if (!formats.includes(format)) formats.push(format);
  }
  return formats;
}

/**
 * Reads the objects a client announces in Register/Update, e.g.
 * `</>;rt="oma.lwm2m";ct=110,</1/0>,</3/0>,</5>;ver=1.1,</5/0>`. An alternate root path
 * (`</lwm2m>;rt="oma.lwm2m"`) is stripped from the object links; links that are not object or
 * object-instance paths are ignored.
 */
export function registrationObjectLinks(links: readonly Link[]): RegistrationObjectLinks {
  const root = links.find(isRootLink);
  const rootPath = root === undefined ? undefined : normalizeRoot(root.target);
  const prefix = rootPath === undefined || rootPath === '/' ? '' : rootPath;
  const objects: RegistrationObjectLinks['objects'] = [];
  for (const link of links) {
    if (link === root) continue;
    const target = prefix !== '' && link.target.startsWith(`${prefix}/`) ? link.target.slice(prefix.length) : link.target;
    const parsed = LwM2mPath.parse(target);
    if (!parsed.success) continue;
    const { objectId, instanceId, level } = parsed.data;
    if (objectId === undefined || (level !== 'object' && level !== 'instance')) continue;
    const ver = link.attributes['ver'];
    objects.push({
      objectId,
      ...(instanceId === undefined ? {} : { instanceId }),
      ...(typeof ver === 'string' && ver !== '' ? { version: ver } : {}),
    });
  }
  return {
    ...(rootPath === undefined ? {} : { rootPath }),
    supportedFormats: parseFormats(root?.attributes['ct']),
    objects,
  };
}
