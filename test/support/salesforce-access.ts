/**
 * What the bridge's integration user can see and change in a real org: the Minimum Access – API
 * Only Integrations profile grants nothing, so access is exactly what the package's permission
 * set Stripe_Bridge_Integration grants, read from its XML, plus the rules Salesforce applies
 * itself (fields without field-level security follow their object; OpportunityLineItem follows
 * Opportunity), which the catalogue records as `fls` and `grantedThrough`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DATA_MODEL, type FieldSpec } from '../../src/salesforce/data-model.js';
import { fieldPermissionName, INTEGRATION_OBJECTS } from '../../src/salesforce/integration-access.js';
import { permissionSetPath } from '../../src/salesforce/permission-sets.js';
import { childrenNamed, parseXml, textOf, type XmlElement } from '../salesforce-package/xml.js';

export const INTEGRATION_PERMISSION_SET_FILE = fileURLToPath(
  new URL(`../../salesforce/${permissionSetPath('Stripe_Bridge_Integration')}`, import.meta.url),
);

export interface UserAccess {
  /** The object exists for the user (SOQL FROM, sObject URLs); otherwise it behaves as unknown. */
  objectReadable(sobject: string): boolean;
  objectEditable(sobject: string): boolean;
  /** The field exists for the user; a hidden field behaves as unknown ("No such column"). */
  fieldReadable(sobject: string, field: string): boolean;
  /** Visible but not editable: writes fail with INVALID_FIELD_FOR_INSERT_UPDATE. */
  fieldEditable(sobject: string, field: string): boolean;
}

interface Grants {
  readonly objects: ReadonlyMap<string, { readonly read: boolean; readonly edit: boolean }>;
  readonly fields: ReadonlyMap<string, { readonly read: boolean; readonly edit: boolean }>;
}

const flag = (element: XmlElement, name: string): boolean => textOf(element, name) === 'true';

/** The object and field permissions of a PermissionSet document. */
export function readPermissionSet(xml: string): Grants {
  const root = parseXml(xml);
  if (root.name !== 'PermissionSet') throw new Error(`expected a PermissionSet, found <${root.name}>`);
  return {
    objects: new Map(
      childrenNamed(root, 'objectPermissions').map((p) => [textOf(p, 'object') ?? '', { read: flag(p, 'allowRead'), edit: flag(p, 'allowEdit') }]),
    ),
    fields: new Map(
      childrenNamed(root, 'fieldPermissions').map((p) => [textOf(p, 'field') ?? '', { read: flag(p, 'readable'), edit: flag(p, 'editable') }]),
    ),
  };
}

let packageGrants: Grants | undefined;

/** The integration user of an org where the package's permission set is deployed and assigned. */
export function integrationUserAccess(permissionSetXml?: string): UserAccess {
  const grants =
    permissionSetXml === undefined
      ? (packageGrants ??= readPermissionSet(readFileSync(INTEGRATION_PERMISSION_SET_FILE, 'utf8')))
      : readPermissionSet(permissionSetXml);

  const objectGrant = (sobject: string): { read: boolean; edit: boolean } => {
    const derived = INTEGRATION_OBJECTS[sobject]?.grantedThrough;
    if (derived === 'every user') return { read: true, edit: false };
    if (derived !== undefined) return objectGrant(derived.parent);
    return grants.objects.get(sobject) ?? { read: false, edit: false };
  };
  const spec = (sobject: string, field: string): FieldSpec | undefined => DATA_MODEL[sobject]?.[field];
  const fieldGrant = (sobject: string, field: string): { read: boolean; edit: boolean } => {
    const fieldSpec = spec(sobject, field);
    const object = objectGrant(sobject);
    if (fieldSpec === undefined || !object.read) return { read: false, edit: false };
    const name = fieldPermissionName(sobject, field, fieldSpec);
    // No field-level security (Id, required and name fields): the object decides.
    if (name === undefined) return object;
    const granted = grants.fields.get(name) ?? { read: false, edit: false };
    return { read: granted.read, edit: granted.edit && object.edit };
  };

  return {
    objectReadable: (sobject) => objectGrant(sobject).read,
    objectEditable: (sobject) => objectGrant(sobject).edit,
    fieldReadable: (sobject, field) => fieldGrant(sobject, field).read,
    fieldEditable: (sobject, field) => fieldGrant(sobject, field).edit,
  };
}

/** The package's permission set without the entry of one field (or object). */
export function withoutGrant(xml: string, tag: 'fieldPermissions' | 'objectPermissions', name: string): string {
  const inner = tag === 'fieldPermissions' ? 'field' : 'object';
  const block = new RegExp(`\\s*<${tag}>(?:(?!</${tag}>)[\\s\\S])*<${inner}>${name}</${inner}>[\\s\\S]*?</${tag}>`);
  if (!block.test(xml)) throw new Error(`${name} is not granted by this permission set`);
  return xml.replace(block, '');
}

/** The package's permission set with one field readable only. */
export function readOnlyGrant(xml: string, field: string): string {
  const block = new RegExp(`<editable>true</editable>(\\s*<field>${field}</field>)`);
  if (!block.test(xml)) throw new Error(`${field} is not editable in this permission set`);
  return xml.replace(block, '<editable>false</editable>$1');
}
