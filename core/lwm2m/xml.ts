/**
 * A small XML reader for object definition files (DDF): elements, attributes, text, CDATA,
 * comments, the XML declaration and a DOCTYPE without an internal subset, the five predefined
 * entities and character references (XML 1.0 §2-4). No namespaces resolution, no DTD
 * processing, no external entities: there is nothing to fetch and nothing to expand.
 */
import { fail, ok, type Result } from '../result.ts';
import { ObjectDefinitionError } from './errors.ts';

export interface XmlElement {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: readonly XmlElement[];
  /** Text and CDATA directly inside this element, concatenated. */
  readonly text: string;
}

interface MutableElement {
  name: string;
  attributes: Map<string, string>;
  children: MutableElement[];
  text: string;
}

const MAX_DEPTH = 32;
const NAME = /^[A-Za-z_:][\w.:-]*/;
const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(text: string, at: () => string): Result<string, ObjectDefinitionError> {
  let failure: ObjectDefinitionError | undefined;
  const decoded = text.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|[A-Za-z]+);|&/g, (match, body: string | undefined) => {
    if (body === undefined) {
      failure ??= new ObjectDefinitionError(`bare "&" ${at()}`);
      return match;
    }
    if (body.startsWith('#')) {
      const code = body.startsWith('#x') ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
      if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) || code === 0) {
        failure ??= new ObjectDefinitionError(`invalid character reference &${body}; ${at()}`);
        return match;
      }
      return String.fromCodePoint(code);
    }
    const entity = ENTITIES[body];
    if (entity === undefined) failure ??= new ObjectDefinitionError(`unknown entity &${body}; ${at()}`);
    return entity ?? match;
  });
  return failure === undefined ? ok(decoded) : fail(failure);
}

/** Parses a document into its root element. */
export function parseXml(input: string): Result<XmlElement, ObjectDefinitionError> {
  const text = input.startsWith('\uFEFF') ? input.slice(1) : input;
  let pos = 0;
  const lineAt = (index: number): number => text.slice(0, index).split('\n').length;
  const at = (): string => `at line ${lineAt(pos)}`;
  const error = (message: string): Result<XmlElement, ObjectDefinitionError> => fail(new ObjectDefinitionError(`${message} ${at()}`));
  const stack: MutableElement[] = [];
  let root: MutableElement | undefined;

  while (pos < text.length) {
    const lt = text.indexOf('<', pos);
    const chunk = text.slice(pos, lt < 0 ? text.length : lt);
    if (chunk.length > 0) {
      const current = stack[stack.length - 1];
      if (current === undefined) {
        if (chunk.trim() !== '') return error('text outside the root element');
      } else {
        const decoded = decodeEntities(chunk, at);
        if (!decoded.success) return decoded;
        current.text += decoded.data;
      }
    }
    if (lt < 0) break;
    pos = lt;
    if (text.startsWith('<!--', pos)) {
      const end = text.indexOf('-->', pos + 4);
      if (end < 0) return error('unterminated comment');
      pos = end + 3;
    } else if (text.startsWith('<![CDATA[', pos)) {
      const end = text.indexOf(']]>', pos + 9);
      if (end < 0) return error('unterminated CDATA section');
      const current = stack[stack.length - 1];
      if (current === undefined) return error('CDATA outside the root element');
      current.text += text.slice(pos + 9, end);
      pos = end + 3;
    } else if (text.startsWith('<?', pos)) {
      const end = text.indexOf('?>', pos + 2);
      if (end < 0) return error('unterminated processing instruction');
      pos = end + 2;
    } else if (text.startsWith('<!DOCTYPE', pos)) {
      const end = text.indexOf('>', pos);
      if (end < 0 || text.slice(pos, end).includes('[')) return error('a DOCTYPE with an internal subset is not supported');
      pos = end + 1;
    } else if (text.startsWith('</', pos)) {
      const name = NAME.exec(text.slice(pos + 2))?.[0];
      const end = text.indexOf('>', pos);
      const current = stack.pop();
      if (name === undefined || end < 0 || text.slice(pos + 2 + name.length, end).trim() !== '') return error('malformed end tag');
      if (current === undefined || current.name !== name) return error(`end tag </${name}> does not close <${current?.name ?? 'nothing'}>`);
      pos = end + 1;
    } else {
      const name = NAME.exec(text.slice(pos + 1))?.[0];
      if (name === undefined) return error('malformed tag');
      pos += 1 + name.length;
      const element: MutableElement = { name, attributes: new Map(), children: [], text: '' };
      for (;;) {
        const space = /^\s*/.exec(text.slice(pos))?.[0] ?? '';
        pos += space.length;
        if (text.startsWith('/>', pos) || text.startsWith('>', pos)) break;
        if (space.length === 0) return error(`malformed attributes in <${name}>`);
        const attribute = /^([A-Za-z_:][\w.:-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(text.slice(pos));
        if (attribute === null) return error(`malformed attribute in <${name}>`);
        const value = decodeEntities(attribute[3] ?? attribute[4] ?? '', at);
        if (!value.success) return value;
        const attributeName = attribute[1] ?? '';
        if (element.attributes.has(attributeName)) return error(`attribute ${attributeName} repeated in <${name}>`);
        element.attributes.set(attributeName, value.data);
        pos += attribute[0].length;
      }
      const selfClosing = text.startsWith('/>', pos);
      pos += selfClosing ? 2 : 1;
      const parent = stack[stack.length - 1];
      if (parent === undefined) {
        if (root !== undefined) return error('a second root element');
        root = element;
      } else parent.children.push(element);
      if (!selfClosing) {
        if (stack.length >= MAX_DEPTH) return error(`elements nested deeper than ${MAX_DEPTH}`);
        stack.push(element);
      }
    }
  }
  if (stack.length > 0) return error(`<${stack[stack.length - 1]?.name ?? ''}> is not closed`);
  if (root === undefined) return error('no root element');
  return ok(root);
}

/** The first child element named `name`. */
export function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}
