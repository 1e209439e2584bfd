/**
 * What the bridge's integration user can see and change in a real org: the Minimum Access – API
 * Only Integrations profile grants nothing, so access is exactly what the package's permission
 * set Stripe_Bridge_Integration grants, read from its XML, plus the rules Salesforce applies
 * itself (fields without field-level security follow their object; OpportunityLineItem follows
 * Opportunity), which the catalogue records as `fls` and `grantedThrough`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DATA_MODEL, type FieldSpec } from '../../salesforce/data-model.js';
import { fieldPermissionName, INTEGRATION_OBJECTS } from '../../salesforce/integration-access.js';
import { permissionSetPath, type FieldPermission, type ObjectPermission } from '../../salesforce/permission-sets.js';
import { childrenNamed, parseXml, textOf, type XmlElement } from './xml.js';

export const INTEGRATION_PERMISSION_SET_FILE = fileURLToPath(
  new URL(`../../../salesforce/${permissionSetPath('Stripe_Bridge_Integration')}`, import.meta.url),
);

export interface UserAccess {
  /** The object exists for the user (SOQL FROM, sObject URLs); otherwise it behaves as unknown. */
  objectReadable(sobject: string): boolean;
  /** Object permission Create: inserts, and upserts that insert. */
  objectCreatable(sobject: string): boolean;
  /** Object permission Edit: updates, and upserts that update. */
  objectEditable(sobject: string): boolean;
  /** Object permission Delete. */
  objectDeletable(sobject: string): boolean;
  /** The field exists for the user; a hidden field behaves as unknown ("No such column"). */
  fieldReadable(sobject: string, field: string): boolean;
  /** Visible but not editable: writes fail with INVALID_FIELD_FOR_INSERT_UPDATE. */
  fieldEditable(sobject: string, field: string): boolean;
}

/** Object permissions (CRED) as the user holds them. */
interface ObjectGrant {
  readonly read: boolean;
  readonly create: boolean;
  readonly edit: boolean;
  readonly delete: boolean;
}

const NO_ACCESS: ObjectGrant = { read: false, create: false, edit: false, delete: false };

interface Grants {
  readonly objects: ReadonlyMap<string, ObjectGrant>;
  readonly fields: ReadonlyMap<string, { readonly read: boolean; readonly edit: boolean }>;
  /** Enabled system permissions (ViewSetup…). */
  readonly userPermissions: ReadonlySet<string>;
}

const flag = (element: XmlElement, name: string): boolean => textOf(element, name) === 'true';

export function fieldPermissions(permissionSet: XmlElement): FieldPermission[] {
  return childrenNamed(permissionSet, 'fieldPermissions').map((p) => ({
    field: textOf(p, 'field') ?? '',
    readable: flag(p, 'readable'),
    editable: flag(p, 'editable'),
  }));
}

export function objectPermissions(permissionSet: XmlElement): ObjectPermission[] {
  return childrenNamed(permissionSet, 'objectPermissions').map((p) => ({
    object: textOf(p, 'object') ?? '',
    allowRead: flag(p, 'allowRead'),
    allowCreate: flag(p, 'allowCreate'),
    allowEdit: flag(p, 'allowEdit'),
    allowDelete: flag(p, 'allowDelete'),
    viewAllRecords: flag(p, 'viewAllRecords'),
    modifyAllRecords: flag(p, 'modifyAllRecords'),
  }));
}

/** The object and field permissions of a PermissionSet document. */
export function readPermissionSet(xml: string): Grants {
  const root = parseXml(xml);
  if (root.name !== 'PermissionSet') throw new Error(`expected a PermissionSet, found <${root.name}>`);
  return {
    objects: new Map(objectPermissions(root).map((p) => [p.object, objectGrantOf(p)])),
    fields: new Map(fieldPermissions(root).map((p) => [p.field, { read: p.readable, edit: p.editable }])),
    userPermissions: new Set(
      childrenNamed(root, 'userPermissions')
        .filter((p) => flag(p, 'enabled'))
        .map((p) => textOf(p, 'name') ?? ''),
    ),
  };
}

/**
 * Salesforce's dependencies between object permissions: Create, Edit and Delete each require
 * Read, Delete requires Edit, and Modify All (View All + Edit + Delete) implies all four ("Object
 * Permissions", Salesforce Help: "Edit" requires "Read"; "Delete" requires "Read" and "Edit").
 */
function objectGrantOf(p: ObjectPermission): ObjectGrant {
  const modifyAll = p.modifyAllRecords;
  const del = p.allowDelete || modifyAll;
  const edit = p.allowEdit || del;
  return { read: p.allowRead || p.allowCreate || edit || p.viewAllRecords, create: p.allowCreate, edit, delete: del };
}

let packageGrants: Grants | undefined;

/** The integration user of an org where the package's permission set is deployed and assigned. */
export function integrationUserAccess(permissionSetXml?: string): UserAccess {
  const grants =
    permissionSetXml === undefined
      ? (packageGrants ??= readPermissionSet(readFileSync(INTEGRATION_PERMISSION_SET_FILE, 'utf8')))
      : readPermissionSet(permissionSetXml);

  const objectGrant = (sobject: string): ObjectGrant => {
    const derived = INTEGRATION_OBJECTS[sobject]?.grantedThrough;
    if (derived === 'every user') return { ...NO_ACCESS, read: true };
    if (derived !== undefined && 'userPermission' in derived) {
      // Edit Tasks lets the user create and edit Tasks (and delete their own): the bridge deletes none.
      const held = grants.userPermissions.has(derived.userPermission);
      const edits = held && derived.edits === true;
      return { read: held, create: edits, edit: edits, delete: false };
    }
    if (derived !== undefined) {
      // Children follow their parent: adding, changing or removing an Opportunity's products, a
      // Case's comments, a Product's price book entries edits the parent.
      const parent = objectGrant(derived.parent);
      return { read: parent.read, create: parent.edit, edit: parent.edit, delete: parent.edit };
    }
    return grants.objects.get(sobject) ?? NO_ACCESS;
  };
  const spec = (sobject: string, field: string): FieldSpec | undefined => DATA_MODEL[sobject]?.[field];
  const fieldGrant = (sobject: string, field: string): { read: boolean; edit: boolean } => {
    const object = objectGrant(sobject);
    // System objects (Organization, User, setup objects) are not in the catalogue and have no FLS of ours.
    if (DATA_MODEL[sobject] === undefined && INTEGRATION_OBJECTS[sobject]?.grantedThrough !== undefined) return { read: object.read, edit: object.edit || object.create };
    const fieldSpec = spec(sobject, field);
    if (fieldSpec === undefined || !object.read) return { read: false, edit: false };
    const name = fieldPermissionName(sobject, field, fieldSpec);
    // No field-level security (Id, required and name fields): the object decides.
    if (name === undefined) return { read: object.read, edit: object.edit || object.create };
    const granted = grants.fields.get(name) ?? { read: false, edit: false };
    // A field's edit access counts where the object may be created or edited.
    return { read: granted.read, edit: granted.edit && (object.edit || object.create) };
  };

  return {
    objectReadable: (sobject) => objectGrant(sobject).read,
    objectCreatable: (sobject) => objectGrant(sobject).create,
    objectEditable: (sobject) => objectGrant(sobject).edit,
    objectDeletable: (sobject) => objectGrant(sobject).delete,
    fieldReadable: (sobject, field) => fieldGrant(sobject, field).read,
    fieldEditable: (sobject, field) => fieldGrant(sobject, field).edit,
  };
}
