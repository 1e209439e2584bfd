/**
 * A tiny, strict XML parser for Salesforce metadata files: enough to prove a file is
 * well-formed and to read its elements, without adding a dependency. It rejects what a real
 * XML parser rejects in these files (unbalanced or crossed tags, stray text outside the root,
 * unknown entities, duplicate attributes); it does not support DTDs, which metadata never uses.
 */
export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** Concatenated character data directly inside this element, entities decoded. */
  readonly text: string;
}

export class XmlSyntaxError extends Error {
  override readonly name = 'XmlSyntaxError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} (at offset ${offset})`);
  }
}

interface MutableElement {
  name: string;
  attributes: Record<string, string>;
  children: MutableElement[];
  text: string;
}

const NAME = /^[A-Za-z_:][-A-Za-z0-9_.:]*/;
const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, offset: number): string {
  if (raw.includes('<')) throw new XmlSyntaxError("'<' inside character data", offset);
  return raw.replace(/&([^;&\s]*);?/g, (match, ref: string, at: number) => {
    if (!match.endsWith(';')) throw new XmlSyntaxError(`unterminated entity '${match}'`, offset + at);
    if (ref.startsWith('#x')) return String.fromCodePoint(parseHex(ref.slice(2), offset + at));
    if (ref.startsWith('#')) return String.fromCodePoint(parseDecimal(ref.slice(1), offset + at));
    const named = ENTITIES[ref];
    if (named === undefined) throw new XmlSyntaxError(`unknown entity '&${ref};'`, offset + at);
    return named;
  });
}

function parseHex(digits: string, offset: number): number {
  if (!/^[0-9A-Fa-f]+$/.test(digits)) throw new XmlSyntaxError(`bad character reference '&#x${digits};'`, offset);
  return Number.parseInt(digits, 16);
}

function parseDecimal(digits: string, offset: number): number {
  if (!/^[0-9]+$/.test(digits)) throw new XmlSyntaxError(`bad character reference '&#${digits};'`, offset);
  return Number.parseInt(digits, 10);
}

function parseAttributes(source: string, offset: number): Record<string, string> {
  const attributes: Record<string, string> = {};
  let rest = source;
  let at = offset;
  for (;;) {
    const space = /^\s*/.exec(rest)?.[0] ?? '';
    rest = rest.slice(space.length);
    at += space.length;
    if (rest === '') return attributes;
    if (space === '') throw new XmlSyntaxError('attributes must be separated by white space', at);
    const match = /^([A-Za-z_:][-A-Za-z0-9_.:]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(rest);
    if (match === null) throw new XmlSyntaxError('malformed attribute', at);
    const [whole, name, , doubleQuoted, singleQuoted] = match as unknown as [string, string, string, string | undefined, string | undefined];
    if (Object.hasOwn(attributes, name)) throw new XmlSyntaxError(`duplicate attribute '${name}'`, at);
    attributes[name] = decode(doubleQuoted ?? singleQuoted ?? '', at);
    rest = rest.slice(whole.length);
    at += whole.length;
  }
}

/** Parses a whole document; throws XmlSyntaxError unless it is well-formed with one root. */
export function parseXml(source: string): XmlElement {
  const stack: MutableElement[] = [];
  let root: MutableElement | undefined;
  const start = source.startsWith('\uFEFF') ? 1 : 0;
  let i = start;

  const expectEnd = (terminator: string, what: string): number => {
    const end = source.indexOf(terminator, i);
    if (end < 0) throw new XmlSyntaxError(`unterminated ${what}`, i);
    return end;
  };

  while (i < source.length) {
    const lt = source.indexOf('<', i);
    const textEnd = lt < 0 ? source.length : lt;
    if (textEnd > i) {
      const raw = source.slice(i, textEnd);
      const current = stack.at(-1);
      if (current === undefined) {
        if (raw.trim() !== '') throw new XmlSyntaxError('text outside the root element', i);
      } else {
        current.text += decode(raw, i);
      }
      i = textEnd;
      continue;
    }

    if (source.startsWith('<?', i)) {
      const end = expectEnd('?>', 'processing instruction');
      const target = /^<\?([^\s?]+)/.exec(source.slice(i, end))?.[1];
      if (target === undefined) throw new XmlSyntaxError('processing instruction without a target', i);
      if (target.toLowerCase() === 'xml' && i !== start) throw new XmlSyntaxError('the XML declaration must come first', i);
      i = end + 2;
    } else if (source.startsWith('<!--', i)) {
      const end = expectEnd('-->', 'comment');
      if (source.slice(i + 4, end).includes('--')) throw new XmlSyntaxError("'--' inside a comment", i);
      i = end + 3;
    } else if (source.startsWith('<![CDATA[', i)) {
      const current = stack.at(-1);
      if (current === undefined) throw new XmlSyntaxError('CDATA outside the root element', i);
      const end = expectEnd(']]>', 'CDATA section');
      current.text += source.slice(i + 9, end);
      i = end + 3;
    } else if (source.startsWith('<!', i)) {
      throw new XmlSyntaxError('DOCTYPE and other declarations are not supported', i);
    } else if (source.startsWith('</', i)) {
      const end = expectEnd('>', 'end tag');
      const name = source.slice(i + 2, end).trim();
      const open = stack.pop();
      if (open === undefined) throw new XmlSyntaxError(`end tag </${name}> without a start tag`, i);
      if (open.name !== name) throw new XmlSyntaxError(`end tag </${name}> does not match <${open.name}>`, i);
      i = end + 1;
    } else {
      const end = expectEnd('>', 'start tag');
      let body = source.slice(i + 1, end);
      const selfClosing = body.endsWith('/');
      if (selfClosing) body = body.slice(0, -1);
      const name = NAME.exec(body)?.[0];
      if (name === undefined) throw new XmlSyntaxError('malformed start tag', i);
      const element: MutableElement = {
        name,
        attributes: parseAttributes(body.slice(name.length), i + 1 + name.length),
        children: [],
        text: '',
      };
      const parent = stack.at(-1);
      if (parent !== undefined) parent.children.push(element);
      else if (root !== undefined) throw new XmlSyntaxError(`second root element <${name}>`, i);
      else root = element;
      if (!selfClosing) stack.push(element);
      i = end + 1;
    }
  }

  const unclosed = stack.at(-1);
  if (unclosed !== undefined) throw new XmlSyntaxError(`<${unclosed.name}> is never closed`, source.length);
  if (root === undefined) throw new XmlSyntaxError('no root element', source.length);
  return root;
}

/** Direct children named `name`. */
export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c) => c.name === name);
}

/** The only direct child named `name`, or undefined; throws when there are several. */
export function childNamed(element: XmlElement, name: string): XmlElement | undefined {
  const found = childrenNamed(element, name);
  if (found.length > 1) throw new Error(`<${element.name}> has ${found.length} <${name}> children, expected at most one`);
  return found[0];
}

/** Trimmed text of the only child named `name`, or undefined when there is none. */
export function textOf(element: XmlElement, name: string): string | undefined {
  return childNamed(element, name)?.text.trim();
}
