/**
 * Who may see and change the bridge's data. The integration user (Minimum Access – API Only
 * Integrations profile: the permission set is all it has) reads and writes exactly what the
 * catalogue says, standard fields included; sales and support read the bridge's fields; only the
 * payment mode is editable by sales; data loads can bypass the Closed Won Flow.
 *
 * Every permission set is generated from the catalogue by `npm run sf:permissions`; the first
 * test fails when a committed file differs from what the catalogue renders.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATA_MODEL } from '../../src/salesforce/data-model.js';
import { fieldPermissionName, INTEGRATION_OBJECTS } from '../../src/salesforce/integration-access.js';
import { BYPASS_AUTOMATION_PERMISSION, packagePermissionSets, permissionSetPath, renderPermissionSet } from '../../src/salesforce/permission-sets.js';
import { fieldPermissions, loadPackage, objectPermissions, PROJECT_ROOT } from './sfdx-package.js';
import type { FieldPermission, ObjectPermission } from './sfdx-package.js';
import { childNamed, childrenNamed, textOf } from '../../src/local/standins/xml.js';
import type { XmlElement } from '../../src/local/standins/xml.js';

const pkg = loadPackage();
const CUSTOM_OBJECTS = ['Stripe_Payment__c', 'Stripe_Invoice__c', 'Stripe_Subscription__c', 'Stripe_Subscription_Change__c', 'Stripe_Subscription_Item__c', 'Stripe_Refund__c', 'Stripe_Sync_Log__c'];

/** Every custom field of the package on a record object (platform event fields have no FLS). */
const packageFields = [...pkg.fields]
  .filter(([object]) => !object.endsWith('__e'))
  .flatMap(([object, fields]) => [...fields.keys()].map((field) => `${object}.${field}`))
  .sort();

/** Every FLS entry the catalogue knows: custom and standard fields, compound fields by their compound name. */
const securableFields = new Set(
  Object.entries(DATA_MODEL).flatMap(([object, fields]) =>
    Object.entries(fields).flatMap(([field, spec]) => fieldPermissionName(object, field, spec) ?? []),
  ),
);

function permissionSet(name: string): XmlElement {
  const set = pkg.members('permissionset').get(name);
  if (set === undefined) throw new Error(`permission set ${name} is missing`);
  return set;
}

function byField(set: XmlElement): Map<string, FieldPermission> {
  return new Map(fieldPermissions(set).map((p) => [p.field, p]));
}

function byObject(set: XmlElement): Map<string, ObjectPermission> {
  return new Map(objectPermissions(set).map((p) => [p.object, p]));
}

describe('permission sets', () => {
  it.each(packagePermissionSets().map((spec) => [spec.name, spec] as const))(
    '%s is what `npm run sf:permissions` generates from the catalogue',
    (_name, spec) => {
      const committed = readFileSync(join(PROJECT_ROOT, permissionSetPath(spec.name)), 'utf8');
      expect(committed, 'run npm run sf:permissions and commit the result').toBe(renderPermissionSet(spec));
    },
  );

  it('are all generated: the package holds no other permission set', () => {
    expect([...pkg.members('permissionset').keys()].sort()).toEqual(packagePermissionSets().map((s) => s.name).sort());
  });

  it.each([...pkg.members('permissionset').keys()])('%s lists each field and object once, all deployable', (name) => {
    const set = permissionSet(name);
    const fields = fieldPermissions(set).map((p) => p.field);
    expect(new Set(fields).size).toBe(fields.length);
    // Custom fields must exist in the package, standard ones in the catalogue; a field without
    // FLS (a required field such as Opportunity.StageName, or Name) cannot be listed: "Salesforce
    // does not allow required fields to be included in permission set fieldPermissions metadata —
    // deployments will fail with the error: 'You cannot deploy to a required field.'"
    // (https://docs.zuora.com/zuora-cpq/manage-subscriptions/advanced-cpq-x-functionalities/opportunity-product-sync/permissions-and-security-updates/field-level-security--zqu__oppprodsyncgroupingkey__c)
    for (const field of fields) {
      if (field.endsWith('__c')) expect(packageFields, field).toContain(field);
      expect(securableFields, field).toContain(field);
    }
    const objects = objectPermissions(set).map((p) => p.object);
    expect(new Set(objects).size).toBe(objects.length);
    for (const object of objects) {
      if (object.endsWith('__c')) expect(pkg.objects.has(object), object).toBe(true);
      // Opportunity products have no object permissions of their own (Salesforce Help 005227420).
      expect(INTEGRATION_OBJECTS[object]?.grantedThrough, object).toBeUndefined();
    }
    for (const p of fieldPermissions(set)) expect(p.readable || !p.editable, `${p.field} editable but not readable`).toBe(true);
    expect(textOf(set, 'label')).toMatch(/^Stripe Bridge /);
    expect((textOf(set, 'description') ?? '').length).toBeLessThanOrEqual(255);
    // A permission set tied to a user license ("Salesforce") cannot be assigned to a Salesforce
    // Integration user; a license-free one can, once the user has the Salesforce API Integration
    // permission set license (https://lietzau-consulting.de/2023/04/setup-salesforce-integration-user-license/).
    expect(childNamed(set, 'license')).toBeUndefined();
  });

  it('never name the components of a compound address: FLS is set on the compound field', () => {
    // Contact.MailingStreet etc. are not permissionable; Contact.MailingAddress is
    // (https://salesforce.stackexchange.com/questions/97912); retrieved profiles list Account.BillingAddress.
    for (const name of pkg.members('permissionset').keys()) {
      const fields = fieldPermissions(permissionSet(name)).map((p) => p.field);
      for (const component of ['Street', 'City', 'State', 'PostalCode', 'Country']) {
        expect(fields, name).not.toContain(`Account.Billing${component}`);
      }
    }
  });
});

describe('Stripe_Bridge_Integration', () => {
  const set = permissionSet('Stripe_Bridge_Integration');
  const fields = byField(set);
  const objects = byObject(set);

  it.each(packageFields)('grants %s exactly as the catalogue says the code uses it', (field) => {
    const [object = '', name = ''] = field.split('.');
    const access = DATA_MODEL[object]?.[name]?.integration;
    // The package ships no field the bridge does not use.
    expect(access, `${field}: give it \`integration\` in DATA_MODEL`).toBeDefined();
    expect(fields.get(field)).toEqual({ field, readable: true, editable: access === 'edit' });
  });

  it.each([
    // Written on the renewal Opportunities the bridge creates (RENEWAL_OPPORTUNITIES).
    ['Opportunity.AccountId', true],
    ['Opportunity.Amount', true],
    ['Opportunity.Description', true],
    ['Opportunity.Stripe_Renewal_Key__c', true],
    ['Opportunity.Stripe_Customer_Id__c', true],
    ['Opportunity.Stripe_Payment_Mode__c', false],
    ['Account.BillingAddress', false],
    ['Account.Stripe_Billing_Email__c', false],
    ['Account.Stripe_Customer_Id__c', true],
    ['OpportunityLineItem.Description', false],
    ['Case.Subject', true],
    ['Case.Description', true],
    ['Case.AccountId', true],
    ['Case.Opportunity__c', true],
  ] as const)('grants the standard and custom field %s (editable: %s) that the bridge reads or writes', (field, editable) => {
    expect(fields.get(field)).toEqual({ field, readable: true, editable });
  });

  it.each([
    'Account.Name',
    'Opportunity.Name',
    'Opportunity.StageName',
    'Opportunity.CloseDate',
    'Opportunity.CurrencyIsoCode',
    'OpportunityLineItem.Quantity',
    'OpportunityLineItem.UnitPrice',
    'Case.Status',
    'Order.AccountId',
    'Stripe_Payment__c.Name',
  ])('leaves out %s, which has no field-level security (object access decides)', (field) => {
    expect(fields.has(field)).toBe(false);
    expect(securableFields.has(field)).toBe(false);
  });

  it.each(CUSTOM_OBJECTS)('reads, creates and edits %s, never deletes', (object) => {
    expect(objects.get(object)).toMatchObject({
      allowRead: true,
      allowCreate: true,
      allowEdit: true,
      allowDelete: false,
      modifyAllRecords: false,
    });
  });

  it('opens Cases, creates renewal Opportunities, updates Accounts, Opportunities and Orders (seeing all of them) and updates products (the catalogue sync writes Stripe ids back)', () => {
    expect(objects.get('Case')).toMatchObject({ allowRead: true, allowCreate: true, allowEdit: true, allowDelete: false });
    expect(objects.get('Opportunity')).toMatchObject({ allowRead: true, allowCreate: true, allowEdit: true, allowDelete: false, viewAllRecords: true });
    for (const object of ['Account', 'Order', 'Quote', 'Contract']) {
      expect(objects.get(object), object).toMatchObject({
        allowRead: true,
        allowCreate: false,
        allowEdit: true,
        allowDelete: false,
        viewAllRecords: true,
      });
    }
    expect(objects.get('Product2')).toMatchObject({ allowRead: true, allowCreate: false, allowEdit: true, allowDelete: false });
    expect(objects.has('OpportunityLineItem')).toBe(false);
    // Price book entries follow Product2 (no object permission of their own).
    expect(objects.has('PricebookEntry')).toBe(false);
    for (const p of objects.values()) expect(p.modifyAllRecords, p.object).toBe(false);
  });

  it('grants object access for every field it grants', () => {
    for (const p of fieldPermissions(set)) {
      const object = p.field.split('.')[0] ?? '';
      const parent = INTEGRATION_OBJECTS[object]?.grantedThrough;
      // Tasks take no object permission: the user permission Edit Tasks grants them (below).
      if (typeof parent === 'object' && 'userPermission' in parent) {
        expect(childrenNamed(set, 'userPermissions').map((u) => textOf(u, 'name')), p.field).toContain(parent.userPermission);
        continue;
      }
      const grantor = typeof parent === 'object' && 'parent' in parent ? parent.parent : object;
      expect(objects.get(grantor)?.allowRead, p.field).toBe(true);
      if (p.editable) expect(objects.get(grantor)?.allowEdit, p.field).toBe(true);
    }
  });

  it('grants View Setup and Configuration and Edit Tasks only: the command permission check reads CustomPermission, SetupEntityAccess and PermissionSetAssignment, failed payments create Tasks (API Enabled comes with the integration user license and profile)', () => {
    // CustomPermission, "Special Access Rules": View Setup and Configuration since Summer '20
    // (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_custompermission.htm).
    // Task, "Supported Calls" / access: creating and editing tasks is the Edit Tasks user permission.
    expect(childrenNamed(set, 'userPermissions').map((p) => [textOf(p, 'name'), textOf(p, 'enabled')])).toEqual([
      ['EditTask', 'true'],
      ['ViewSetup', 'true'],
    ]);
    expect(childrenNamed(set, 'customPermissions')).toEqual([]);
  });
});

describe('Stripe_Bridge_Read_Only', () => {
  const set = permissionSet('Stripe_Bridge_Read_Only');
  const fields = byField(set);
  const objects = byObject(set);

  it.each(packageFields)('can read but not edit %s', (field) => {
    expect(fields.get(field)).toEqual({ field, readable: true, editable: false });
  });

  it('reads the bridge objects and changes nothing', () => {
    expect([...objects.keys()].sort()).toEqual([...CUSTOM_OBJECTS].sort());
    for (const p of objects.values()) {
      expect(p).toMatchObject({ allowRead: true, allowCreate: false, allowEdit: false, allowDelete: false, modifyAllRecords: false });
    }
  });
});

describe('Stripe_Bridge_Sales', () => {
  it('lets sales request payments, publish commands and choose the payment mode, and nothing else', () => {
    const set = permissionSet('Stripe_Bridge_Sales');
    expect(fieldPermissions(set)).toEqual([{ field: 'Opportunity.Stripe_Payment_Mode__c', readable: true, editable: true }]);
    expect(objectPermissions(set)).toEqual([
      expect.objectContaining({ object: 'Stripe_Command__e', allowCreate: true, allowRead: true, allowEdit: false, allowDelete: false }),
    ]);
    expect(childrenNamed(set, 'customPermissions').map((p) => textOf(p, 'name'))).toEqual(['Stripe_Request_Payment']);
  });
});

describe('Stripe_Bridge_Bypass_Automation', () => {
  it('grants the custom permission the Closed Won Flow checks, and nothing else', () => {
    const set = permissionSet(BYPASS_AUTOMATION_PERMISSION);
    const granted = childrenNamed(set, 'customPermissions').map((p) => [textOf(p, 'name'), textOf(p, 'enabled')]);
    expect(granted).toEqual([[BYPASS_AUTOMATION_PERMISSION, 'true']]);
    expect(fieldPermissions(set)).toEqual([]);
    expect(objectPermissions(set)).toEqual([]);
    const permission = pkg.members('customPermission').get(BYPASS_AUTOMATION_PERMISSION);
    expect(permission, 'customPermissions/Stripe_Bridge_Bypass_Automation').toBeDefined();
    expect(permission && textOf(permission, 'isLicensed')).toBe('false');
  });
});
