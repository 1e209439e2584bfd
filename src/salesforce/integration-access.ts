/**
 * What the integration user may do per object, the object-level half of the catalogue whose
 * field-level half is `integration` / `fls` in DATA_MODEL. The integration user runs with the
 * Minimum Access – API Only Integrations profile, so the permission set generated from both
 * (`npm run sf:permissions`) is all it has.
 */
import { DATA_MODEL, type FieldAccess, type FieldSpec } from './data-model.js';

/** read < edit < create (Salesforce requires Read for Edit, and Read + Edit for an upsert that creates). */
export type ObjectAccessLevel = 'read' | 'edit' | 'create';

export interface ObjectAccess {
  readonly access: ObjectAccessLevel;
  /**
   * View All: every record, whatever the sharing model. For objects the bridge looks up by id
   * or external id (an Opportunity it bills, an Account a payment names): a record hidden by
   * sharing would otherwise look deleted.
   */
  readonly viewAll?: boolean;
  /**
   * Access that no object permission grants because Salesforce derives it: from the parent
   * object (OpportunityLineItem follows Opportunity), for every user, or from a user permission
   * (setup objects need View Setup and Configuration). The permission set must not name these
   * objects; a user permission named here is granted instead.
   */
  readonly grantedThrough?: { readonly parent: string } | { readonly userPermission: string; readonly edits?: boolean } | 'every user';
}

export const INTEGRATION_OBJECTS: Readonly<Record<string, ObjectAccess>> = {
  Account: { access: 'edit', viewAll: true },
  // Create: the renewal Opportunities of annual terms (RENEWAL_OPPORTUNITIES, off by default).
  Opportunity: { access: 'create', viewAll: true },
  // "Opportunity product permissions are inherited from the parent Opportunity record, not
  // configured independently through profiles or permission sets" (Salesforce Help 005227420).
  OpportunityLineItem: { access: 'read', grantedThrough: { parent: 'Opportunity' } },
  // The line items the bridge reads are named after their products, which say how Stripe bills
  // them; the catalogue sync writes the Stripe product's id back (src/catalog).
  Product2: { access: 'edit' },
  // Price book entries have no object permission of their own: "access to price book entries is
  // controlled by the user's access to products and price books" (the Product2 object permission
  // and the Pricebook2 sharing setting, Object Reference PricebookEntry). The sync writes
  // Stripe_Price_Id__c on them.
  PricebookEntry: { access: 'edit', grantedThrough: { parent: 'Product2' } },
  Order: { access: 'edit', viewAll: true },
  OrderItem: { access: 'read', grantedThrough: { parent: 'Order' } },
  Quote: { access: 'edit', viewAll: true },
  QuoteLineItem: { access: 'read', grantedThrough: { parent: 'Quote' } },
  Contract: { access: 'edit', viewAll: true },
  Case: { access: 'create' },
  // The bridge comments on the Cases it opened; comments follow their Case.
  CaseComment: { access: 'create', grantedThrough: { parent: 'Case' } },
  // Failed-payment and renewal Tasks for the Account owner. Tasks take no object permission: creating and
  // editing them is the user permission Edit Tasks (EditTask), and a Task is visible to whoever
  // sees the record it is related to (the integration user has View All on Account).
  Task: { access: 'create', grantedThrough: { userPermission: 'EditTask', edits: true } },
  Stripe_Payment__c: { access: 'create' },
  Stripe_Invoice__c: { access: 'create' },
  Stripe_Subscription__c: { access: 'create' },
  Stripe_Subscription_Change__c: { access: 'create' },
  Stripe_Subscription_Item__c: { access: 'create' },
  Stripe_Refund__c: { access: 'create' },
  Stripe_Sync_Log__c: { access: 'create' },
  // The corporate currency of single-currency orgs (DefaultCurrencyIsoCode). Every user can read
  // the Organization; no permission set can grant it.
  Organization: { access: 'read', grantedThrough: 'every user' },
  // The org's conversion rates for the Account roll-ups (multi-currency orgs only). "Customize
  // Application" is needed to edit it, not to read it (Object Reference, CurrencyType).
  CurrencyType: { access: 'read', grantedThrough: 'every user' },
  // A Sync Log names the user who asked (Requested_By__c).
  User: { access: 'read', grantedThrough: 'every user' },
  // Who holds a custom permission (src/commands/permissions.ts): CustomPermission,
  // SetupEntityAccess and PermissionSetAssignment need View Setup and Configuration since
  // Summer '20 (Object Reference, CustomPermission, Special Access Rules).
  CustomPermission: { access: 'read', grantedThrough: { userPermission: 'ViewSetup' } },
  SetupEntityAccess: { access: 'read', grantedThrough: { userPermission: 'ViewSetup' } },
  PermissionSetAssignment: { access: 'read', grantedThrough: { userPermission: 'ViewSetup' } },
  PermissionSet: { access: 'read', grantedThrough: { userPermission: 'ViewSetup' } },
  // Is the Event Relay running (the reconciler's housekeeping)? A setup object like the ones
  // above: querying Event Relay objects needs View Setup and Configuration (Object Reference,
  // EventRelayConfig, Special Access Rules).
  EventRelayFeedback: { access: 'read', grantedThrough: { userPermission: 'ViewSetup' } },
};

/** The user permissions the integration user needs (those some object's access comes through). */
export function integrationUserPermissions(): string[] {
  const names = Object.values(INTEGRATION_OBJECTS).flatMap((o) =>
    typeof o.grantedThrough === 'object' && 'userPermission' in o.grantedThrough ? [o.grantedThrough.userPermission] : [],
  );
  return [...new Set(names)].sort(compareNames);
}

const RANK: Readonly<Record<ObjectAccessLevel, number>> = { read: 0, edit: 1, create: 2 };

export function allows(granted: ObjectAccessLevel | undefined, needed: ObjectAccessLevel): boolean {
  return granted !== undefined && RANK[granted] >= RANK[needed];
}

/** The field-level security entry a field is secured by (`Account.BillingAddress` for BillingCity); undefined when none exists. */
export function fieldPermissionName(object: string, field: string, spec: FieldSpec): string | undefined {
  if (spec.fls === 'object') return undefined;
  return `${object}.${spec.fls === undefined ? field : spec.fls.compound}`;
}

export interface FieldGrant {
  /** `Object.Field` as a permission set names it. */
  readonly field: string;
  readonly access: FieldAccess;
}

/**
 * The field permissions the integration user needs, one per FLS entry (components of a compound
 * field share theirs; the widest access wins), sorted as Salesforce sorts them.
 */
export function integrationFieldGrants(): FieldGrant[] {
  const grants = new Map<string, FieldAccess>();
  for (const [object, fields] of Object.entries(DATA_MODEL)) {
    for (const [field, spec] of Object.entries(fields)) {
      const name = fieldPermissionName(object, field, spec);
      if (name === undefined || spec.integration === undefined) continue;
      if (grants.get(name) !== 'edit') grants.set(name, spec.integration);
    }
  }
  return [...grants].map(([field, access]) => ({ field, access })).sort((a, b) => compareNames(a.field, b.field));
}

/** A stable order for permission set entries (by API name, as retrieved metadata lists them). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
