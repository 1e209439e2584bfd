/**
 * Reads the SFDX project in salesforce/ the way the Salesforce CLI lays it out: package
 * directories from sfdx-project.json, `<dir>/main/default/<type folder>/<member>.<suffix>-meta.xml`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childNamed, childrenNamed, parseXml, textOf } from '../../src/local/standins/xml.js';
import type { XmlElement } from '../../src/local/standins/xml.js';

export const PROJECT_ROOT = fileURLToPath(new URL('../../salesforce/', import.meta.url));
export const METADATA_NAMESPACE = 'http://soap.sforce.com/2006/04/metadata';

export interface SfdxProject {
  readonly packageDirectories: ReadonlyArray<{ readonly path: string; readonly default?: boolean }>;
  readonly sourceApiVersion: string;
}

export interface MetadataFile {
  /** Path relative to salesforce/, with forward slashes. */
  readonly path: string;
  readonly source: string;
}

export function readProject(): SfdxProject {
  return JSON.parse(readFileSync(join(PROJECT_ROOT, 'sfdx-project.json'), 'utf8')) as SfdxProject;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    return entry.isDirectory() ? walk(full) : [full];
  });
}

/** Every `*-meta.xml` file of every package directory. */
export function metadataFiles(): MetadataFile[] {
  return readProject().packageDirectories.flatMap((dir) =>
    walk(join(PROJECT_ROOT, dir.path))
      .filter((file) => file.endsWith('-meta.xml'))
      .map((file) => ({
        path: relative(PROJECT_ROOT, file).split(sep).join('/'),
        source: readFileSync(file, 'utf8'),
      })),
  );
}

/** The member name of a metadata file: its file name without the `.<suffix>-meta.xml` ending. */
export function memberName(path: string, suffix: string): string {
  const file = path.split('/').at(-1) ?? '';
  const ending = `.${suffix}-meta.xml`;
  if (!file.endsWith(ending)) throw new Error(`${path} does not end with ${ending}`);
  return file.slice(0, -ending.length);
}

export interface SfdxPackage {
  /** `<Object>` → `<Field>` → CustomField element, for every field file of the package. */
  readonly fields: ReadonlyMap<string, ReadonlyMap<string, XmlElement>>;
  /** Object name → CustomObject element, for objects the package defines (custom objects, events). */
  readonly objects: ReadonlyMap<string, XmlElement>;
  /** Member name → root element, per metadata suffix (`flow`, `permissionset`, `field` as `Object.Field`, …). */
  members(suffix: string): ReadonlyMap<string, XmlElement>;
  field(object: string, field: string): XmlElement | undefined;
}

export function loadPackage(): SfdxPackage {
  const bySuffix = new Map<string, Map<string, XmlElement>>();
  const fields = new Map<string, Map<string, XmlElement>>();
  const objects = new Map<string, XmlElement>();

  for (const file of metadataFiles()) {
    const root = parseXml(file.source);
    const suffix = /\.([A-Za-z]+)-meta\.xml$/.exec(file.path)?.[1];
    if (suffix === undefined) throw new Error(`cannot tell the metadata type of ${file.path}`);
    const parts = file.path.split('/');
    const object = parts.at(-3) ?? '';
    // Fields and validation rules are members as `Object.Member`, reports and dashboards as
    // `Folder/Member`, as in package.xml.
    const member =
      suffix === 'field' || suffix === 'validationRule'
        ? `${object}.${memberName(file.path, suffix)}`
        : suffix === 'report' || suffix === 'dashboard'
          ? `${parts.at(-2) ?? ''}/${memberName(file.path, suffix)}`
          : memberName(file.path, suffix);
    if (suffix === 'field') {
      // Activity fields are Task (and Event) fields; SFDX keeps them under objects/Activity, and
      // the bridge writes them on Tasks only.
      for (const owner of object === 'Activity' ? ['Task'] : [object]) {
        const objectFields = fields.get(owner) ?? new Map<string, XmlElement>();
        objectFields.set(memberName(file.path, suffix), root);
        fields.set(owner, objectFields);
      }
    } else if (suffix === 'object') {
      objects.set(member, root);
    }
    const members = bySuffix.get(suffix) ?? new Map<string, XmlElement>();
    if (members.has(member)) throw new Error(`${suffix} ${member} is defined twice`);
    members.set(member, root);
    bySuffix.set(suffix, members);
  }

  return {
    fields,
    objects,
    members: (suffix) => bySuffix.get(suffix) ?? new Map(),
    field: (object, field) => fields.get(object)?.get(field),
  };
}

export type { FieldPermission, ObjectPermission } from '../../src/salesforce/permission-sets.js';
export { fieldPermissions, objectPermissions } from '../../src/local/standins/salesforce-access.js';

/** Picklist value API names (fullName) of a CustomField with an inline value set. */
export function picklistValues(field: XmlElement): string[] {
  const definition = childrenNamed(field, 'valueSet').flatMap((v) => childrenNamed(v, 'valueSetDefinition'));
  return definition.flatMap((d) => childrenNamed(d, 'value')).map((v) => textOf(v, 'fullName') ?? '');
}

/** Stands in for a missing element, so a failed lookup reads as undefined rather than throwing. */
export const NO_ELEMENT = { name: 'none', attributes: {}, children: [] } as unknown as XmlElement;

/** Reading one flow of the package: its elements by `name`, and a value's reference or string. */
export interface FlowReader {
  /** The flow, or an empty element when the package has none of that name. */
  readonly flow: XmlElement;
  /** The flow's element (screen, decision, record create, …) of that `name`. */
  readonly named: (name: string) => XmlElement | undefined;
  /** The `elementReference` or `stringValue` of an element's `value` (or another child). */
  readonly valueOf: (element: XmlElement, child?: string) => string | undefined;
}

export function flowReader(pkg: SfdxPackage, name: string): FlowReader {
  const flow = pkg.members('flow').get(name) ?? NO_ELEMENT;
  return {
    flow,
    named: (element) => flow.children.find((c) => textOf(c, 'name') === element),
    valueOf: (element, child = 'value') => {
      const value = childNamed(element, child) ?? NO_ELEMENT;
      return textOf(value, 'elementReference') ?? textOf(value, 'stringValue');
    },
  };
}
