/**
 * A local Salesforce that answers (and rejects) the way Salesforce REST does, so that jsforce runs
 * its real code path in tests, in the local stack and in the benchmark. Its schema is DATA_MODEL.
 *
 * Every API caller is the bridge's integration user of a real org: Minimum Access – API Only
 * Integrations profile plus the package's permission set Stripe_Bridge_Integration, read from
 * salesforce/ at start (salesforce-access.ts). A field that permission set does not grant is not
 * there for the caller: SOQL and writes answer INVALID_FIELD "No such column…", which Salesforce
 * uses for both a missing field and one hidden by field-level security
 * (https://salesforcedictionary.com/errors/invalid-field-no-such-column); a field granted read
 * only is INVALID_FIELD_FOR_INSERT_UPDATE on write. Object permissions are enforced the same way:
 * an object without Read is unknown (NOT_FOUND on sObject URLs, INVALID_TYPE "sObject type 'X' is
 * not supported." in SOQL); an insert without Create, an update without Edit, an upsert without
 * Create (when it inserts) or Edit (when it updates) and a delete without Delete fail per record
 * with INSUFFICIENT_ACCESS_OR_READONLY "insufficient access rights on object id" — the code and
 * message Salesforce gives when "the user's object permissions (CRUD)" do not allow the write
 * (https://agentforceaccess.com/blog/insufficient-access-rights-on-object-id; StatusCode
 * INSUFFICIENT_ACCESS_OR_READONLY, SOAP API Developer Guide, Core Data Types). `insert`,
 * `recycle`, `purge` and `records` are the admin's view: they bypass the integration user's
 * permissions, so seeds and test set-up keep working.
 *
 * Covered: OAuth token endpoint (client credentials, JWT bearer), Composite, sObject Collections
 * (upsert by external id, create (a taken unique external id refused), update by Id), single-record sObject rows, Bulk API 2.0 ingest
 * jobs (salesforce-bulk-ingest.ts), and the SOQL subset the outbound flow needs (parent fields,
 * one child subquery, `=` / `IN` conditions).
 */
import { createHash, randomBytes, verify as verifySignature } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { isVersionedObject } from '../../contracts/precedence.js';
import {
  CLOSED_CASE_STATUS,
  DATA_MODEL,
  OLDER_EVENT_RULE,
  OLDER_ROLLUP_RULE,
  ROLLUP_VERSION_FIELD,
  SUPERSEDED_FAILURE_RULE,
  VERSION_FIELD,
  type FieldSpec,
  type ObjectSpec,
  type ValidationRuleSpec,
} from '../../salesforce/data-model.js';
import { integrationUserAccess } from './salesforce-access.js';
import { createBulkIngest } from './salesforce-bulk-ingest.js';

export interface SalesforceStandIn {
  /** http://127.0.0.1:PORT: both the login URL and the instance URL. */
  readonly url: string;
  /** REST requests under /services/data (a Composite request counts once), OAuth excluded. */
  readonly apiCalls: number;
  /** Successful /services/oauth2/token calls. */
  readonly logins: number;
  records(sobject: string): Array<Record<string, unknown>>;
  /** Adds a row as it is (no validation); `fields.Id`, when a record id, is kept instead of a new one. */
  insert(sobject: string, fields: Record<string, unknown>): string;
  /** Removes a row for good (deleted and emptied from the Recycle Bin): lookups to it are then refused. */
  purge(sobject: string, id: string): void;
  /**
   * An admin deletes the row: it goes to the Recycle Bin, where queries no longer find it and a
   * lookup to it is refused with ENTITY_IS_DELETED (until purged: INVALID_CROSS_REFERENCE_KEY).
   */
  recycle(sobject: string, id: string): void;
  issueToken(): string;
  /**
   * Gives `userId` the custom permission through a permission set (created when missing), as an
   * admin would by assigning the package's permission set: the rows the bridge's permission query reads.
   */
  grantCustomPermission(userId: string, permission: string, permissionSet?: string): void;
  expireSessions(): void;
  failRecord(sobject: string, keyValue: string, errorCode: string, message?: string, times?: number): void;
  failNextRequests(count: number, status: number, errorCode: string): void;
  /** Forgets every failure injected with failRecord/failNextRequests and every org validation rule. */
  clearFailures(): void;
  latencyMs: number;
  /**
   * Random extra latency per REST call, from a seeded generator so a run can be repeated: part
   * before the request is processed, part before the answer leaves, so concurrent requests
   * arrive and return in shuffled orders.
   */
  jitter: { readonly seed: number; readonly maxMs: number } | undefined;
  /**
   * An org's own validation rule (admins add them): a save whose record, as it would be saved,
   * matches `rejects` fails with FIELD_CUSTOM_VALIDATION_EXCEPTION, the message and the field.
   */
  addValidationRule(sobject: string, rule: { readonly message: string; readonly field?: string; readonly rejects: (record: Readonly<Record<string, unknown>>) => boolean }): void;
  /** Get Job Info calls that answer InProgress before a Bulk API 2.0 ingest job shows its end (default 1). */
  bulkPollsInProgress: number;
  /** Test instrumentation: awaited before a REST request is processed (e.g. to land a race). */
  beforeRequest: ((request: { readonly method: string; readonly path: string }) => Promise<void>) | undefined;
  readonly requests: Array<{ method: string; path: string }>;
  /** The org it plays; change it with setOrganization (the bridge reads it once per cold start). */
  readonly organization: StandInOrganization;
  setOrganization(changes: Partial<StandInOrganization>): void;
  close(): Promise<void>;
}

export interface SalesforceStandInOptions {
  readonly clientId?: string;
  readonly clientSecret?: string;
  /** PEM public key for JWT bearer assertions; without it the signature is not checked. */
  readonly jwtPublicKey?: string;
  readonly latencyMs?: number;
  /**
   * The integration user's permission set as Metadata API XML (default: the package's
   * Stripe_Bridge_Integration), e.g. to prove that a missing grant fails like in a real org.
   */
  readonly permissionSetXml?: string;
  readonly jitter?: { readonly seed: number; readonly maxMs: number };
  /** The org it plays (default: DEFAULT_STANDIN_ORGANIZATION, a single-currency USD production org). */
  readonly organization?: Partial<StandInOrganization>;
}

export const STANDIN_CLIENT_ID = 'standin_client_id_fake';
export const STANDIN_CLIENT_SECRET = 'standin_client_secret_fake';

const MIN_API_VERSION = 31;
const MAX_API_VERSION = 66;
const MAX_COLLECTION_RECORDS = 200;
const MAX_COMPOSITE_SUBREQUESTS = 25;
const MAX_COMPOSITE_COLLECTIONS_OR_QUERIES = 5;
/** A new org's default Case Status (CaseStatus.IsDefault). */
const DEFAULT_CASE_STATUS = 'New';
/** A new org's default Task Status and Priority (TaskStatus.IsDefault, TaskPriority.IsDefault); `Completed` is closed. */
const DEFAULT_TASK = { Status: 'Not Started', Priority: 'Normal' } as const;
const COMPLETED_TASK_STATUS = 'Completed';
/** The integration user: a record created without an owner belongs to the user who created it. */
export const STANDIN_INTEGRATION_USER_ID = '005Ab00000000INTAA';

const KEY_PREFIX: Readonly<Record<string, string>> = {
  Account: '001',
  Opportunity: '006',
  OpportunityLineItem: '00k',
  Order: '801',
  Case: '500',
  CaseComment: '00a',
  Task: '00T',
  Stripe_Payment__c: 'a01',
  Stripe_Invoice__c: 'a02',
  Stripe_Subscription__c: 'a03',
  Stripe_Refund__c: 'a0R',
  Stripe_Subscription_Change__c: 'a0C',
  Stripe_Subscription_Item__c: 'a0T',
  Stripe_Sync_Log__c: 'a04',
  Quote: '0Q0',
  QuoteLineItem: '0QL',
  Contract: '800',
  OrderItem: '802',
  Product2: '01t',
  Pricebook2: '01s',
  PricebookEntry: '01u',
  User: '005',
  Group: '00G',
  Contact: '003',
  CustomPermission: '0CP',
  PermissionSet: '0PS',
  PermissionSetAssignment: '0Pa',
  SetupEntityAccess: '0J0',
};

/**
 * Lookups that may point at several objects (Object Reference, Task: OwnerId "Assigned To" is a
 * user or a queue; WhatId "Related To" is any object that allows activities).
 */
const POLYMORPHIC: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  Task: {
    OwnerId: ['User', 'Group'],
    WhatId: ['Account', 'Opportunity', 'Order', 'Quote', 'Contract', 'Case', 'Stripe_Payment__c', 'Stripe_Invoice__c', 'Stripe_Subscription__c'],
  },
};

/** Child relationships by parent object (SOQL subqueries), as Salesforce names them. */
const CHILD_RELATIONSHIPS: Readonly<Record<string, Readonly<Record<string, { sobject: string; field: string }>>>> = {
  Opportunity: { OpportunityLineItems: { sobject: 'OpportunityLineItem', field: 'OpportunityId' } },
  Quote: { QuoteLineItems: { sobject: 'QuoteLineItem', field: 'QuoteId' } },
  Order: { OrderItems: { sobject: 'OrderItem', field: 'OrderId' } },
  Contract: { Orders: { sobject: 'Order', field: 'ContractId' } },
  Product2: { PricebookEntries: { sobject: 'PricebookEntry', field: 'Product2Id' } },
  Account: {
    Opportunities: { sobject: 'Opportunity', field: 'AccountId' },
    Cases: { sobject: 'Case', field: 'AccountId' },
    Orders: { sobject: 'Order', field: 'AccountId' },
    // Custom lookups: the child relationship is the field's relationshipName plus __r.
    Stripe_Payments__r: { sobject: 'Stripe_Payment__c', field: 'Account__c' },
    Stripe_Invoices__r: { sobject: 'Stripe_Invoice__c', field: 'Account__c' },
    Stripe_Subscriptions__r: { sobject: 'Stripe_Subscription__c', field: 'Account__c' },
  },
};

type Row = Record<string, unknown> & { Id: string };

interface ApiError {
  readonly errorCode: string;
  readonly message: string;
  readonly fields?: readonly string[];
}

interface SaveError {
  readonly statusCode: string;
  readonly message: string;
  readonly fields: readonly string[];
}

interface Reply {
  readonly status: number;
  readonly body: unknown;
  /** A CSV answer (Bulk API 2.0 results), sent as text/csv instead of `body`. */
  readonly csv?: string;
}

/** A request-level failure: Salesforce answers the whole request with `[{message, errorCode}]`. */
class RequestFailure extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

const fail = (status: number, errorCode: string, message: string): never => {
  throw new RequestFailure(status, errorCode, message);
};

const saveError = (statusCode: string, message: string, fields: readonly string[] = []): SaveError => ({
  statusCode,
  message,
  fields,
});

const isBlank = (value: unknown): boolean => value === undefined || value === null || value === '';

interface ValidationRule {
  readonly sobject: string;
  /** Salesforce's `errorConditionFormula`, evaluated on the prior record (undefined on insert) and the new values. */
  readonly violated: (prior: Readonly<Record<string, unknown>> | undefined, next: Readonly<Record<string, unknown>>) => boolean;
  readonly errorDisplayField: string;
  readonly errorMessage: string;
}

/**
 * The validation rules of the bridge's Salesforce package, as Salesforce runs them on every save:
 * a violated rule fails the record with FIELD_CUSTOM_VALIDATION_EXCEPTION naming its error display
 * field ("Validation Rules", Salesforce Help; SaveResult `statusCode`/`fields`). Modeled on
 * salesforce/force-app/main/default/objects/<Object>/validationRules/; a package test keeps the
 * names in step.
 */
export const STANDIN_VALIDATION_RULES: Readonly<Record<string, ValidationRule>> = {
  // AND(NOT(ISNEW()), ISCHANGED(f), NOT(ISBLANK(PRIORVALUE(f))), NOT(ISBLANK(f)))
  Stripe_Customer_Id_Set_Once: {
    sobject: 'Account',
    violated: (prior, next) =>
      prior !== undefined &&
      'Stripe_Customer_Id__c' in next &&
      !isBlank(prior.Stripe_Customer_Id__c) &&
      !isBlank(next.Stripe_Customer_Id__c) &&
      next.Stripe_Customer_Id__c !== prior.Stripe_Customer_Id__c,
    errorDisplayField: 'Stripe_Customer_Id__c',
    errorMessage: 'This Account is already linked to another Stripe customer. Clear Stripe Customer Id first to link it to a different one.',
  },
};

function validationErrors(sobject: string, prior: Readonly<Record<string, unknown>> | undefined, next: Readonly<Record<string, unknown>>): SaveError[] {
  return Object.values(STANDIN_VALIDATION_RULES)
    .filter((rule) => rule.sobject === sobject && rule.violated(prior, next))
    .map((rule) => saveError('FIELD_CUSTOM_VALIDATION_EXCEPTION', rule.errorMessage, [rule.errorDisplayField]));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Salesforce's 18-character id: 15 case-sensitive characters plus a case-folding checksum. */
function toEighteen(id15: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15.charAt(chunk * 5 + i);
      if (c >= 'A' && c <= 'Z') bits |= 1 << i;
    }
    suffix += alphabet.charAt(bits);
  }
  return id15 + suffix;
}

const ID_PATTERN = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

/**
 * Objects every org has that are not part of the bridge's data model. Organization: one row,
 * queryable by any API user (Object Reference, Organization:
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_organization.htm).
 */
const SYSTEM_OBJECTS: Readonly<Record<string, ObjectSpec>> = {
  Organization: {
    Id: { type: 'id', readOnly: true },
    Name: { type: 'string', readOnly: true },
    DefaultCurrencyIsoCode: { type: 'picklist', readOnly: true },
    IsSandbox: { type: 'boolean', readOnly: true },
    OrganizationType: { type: 'string', readOnly: true },
  },
  User: { Id: { type: 'id', readOnly: true }, Name: { type: 'string', length: 121 } },
  // A queue (Type Queue) can own Tasks (Object Reference, Group).
  Group: { Id: { type: 'id', readOnly: true }, Name: { type: 'string', length: 40 }, Type: { type: 'string', length: 40 } },
  /*
   * The org's currencies (Object Reference, CurrencyType): "not available in single-currency
   * organizations"; any user may query it. Rows come from the organization's conversionRates.
   */
  CurrencyType: {
    Id: { type: 'id', readOnly: true },
    IsoCode: { type: 'picklist', readOnly: true },
    ConversionRate: { type: 'double', readOnly: true },
    DecimalPlaces: { type: 'integer', readOnly: true },
    IsActive: { type: 'boolean', readOnly: true },
    IsCorporate: { type: 'boolean', readOnly: true },
  },
  Contact: { Id: { type: 'id', readOnly: true }, Name: { type: 'string', length: 121 }, Email: { type: 'email' } },
  /*
   * The setup objects behind custom permissions (Object Reference: CustomPermission,
   * SetupEntityAccess, PermissionSetAssignment): a SetupEntityAccess row grants a permission set
   * (ParentId) the custom permission (SetupEntityId); a PermissionSetAssignment gives a user
   * (AssigneeId) the permission set. Seed them with grantCustomPermission.
   */
  CustomPermission: { Id: { type: 'id', readOnly: true }, DeveloperName: { type: 'string', length: 80 }, NamespacePrefix: { type: 'string', length: 15 } },
  PermissionSet: { Id: { type: 'id', readOnly: true }, Name: { type: 'string', length: 80 }, IsOwnedByProfile: { type: 'boolean' } },
  PermissionSetAssignment: {
    Id: { type: 'id', readOnly: true },
    AssigneeId: { type: 'reference', referenceTo: 'User', relationshipName: 'Assignee' },
    PermissionSetId: { type: 'reference', referenceTo: 'PermissionSet', relationshipName: 'PermissionSet' },
  },
  SetupEntityAccess: {
    Id: { type: 'id', readOnly: true },
    ParentId: { type: 'reference', referenceTo: 'PermissionSet', relationshipName: 'Parent' },
    SetupEntityId: { type: 'id' },
    SetupEntityType: { type: 'string', length: 40 },
  },
  /*
   * The state of an Event Relay (Object Reference: EventRelayFeedback, API 56.0+): the
   * reconciler's housekeeping reads it. Seed rows with insert.
   */
  EventRelayFeedback: {
    Id: { type: 'id', readOnly: true },
    Status: { type: 'picklist', readOnly: true },
    ErrorCode: { type: 'string', readOnly: true, length: 128 },
    ErrorMessage: { type: 'textarea', readOnly: true, length: 1024 },
    ErrorTime: { type: 'datetime', readOnly: true },
    LastRelayedEventTime: { type: 'datetime', readOnly: true },
    RemoteResource: { type: 'string', readOnly: true, length: 255 },
  },
};

/** The org the stand-in plays. */
export interface StandInOrganization {
  /** 18-character Organization id (`00D…`). */
  readonly id: string;
  readonly name: string;
  readonly isSandbox: boolean;
  /**
   * Multi-currency enabled: records carry `CurrencyIsoCode`. Without it the field does not exist
   * at all ("available only for organizations with the multicurrency feature enabled", Object
   * Reference, Opportunity): a query or write naming it is INVALID_FIELD, the describe lacks it.
   */
  readonly multiCurrency: boolean;
  /** Upper-case ISO code, as Salesforce stores it. */
  readonly defaultCurrencyIsoCode: string;
  /**
   * Multi-currency orgs only: the active currencies and their conversion rates against the
   * corporate currency (CurrencyType.ConversionRate, "Conversion rate of this currency type against
   * the corporate currency", Object Reference, CurrencyType). The corporate currency's own is 1.
   */
  readonly conversionRates: Readonly<Record<string, number>>;
}

export const DEFAULT_STANDIN_ORGANIZATION: StandInOrganization = {
  id: '00DAb0000000001EAA',
  name: 'Stand-in Org',
  isSandbox: false,
  multiCurrency: false,
  defaultCurrencyIsoCode: 'USD',
  conversionRates: { USD: 1 },
};

/**
 * Field types as the describe names them (our FieldType uses Salesforce's names). `editable`:
 * whether the caller may write it (field-level security), which the describe reports as
 * createable/updateable.
 */
function describeField(name: string, field: FieldSpec, editable: boolean): Record<string, unknown> {
  return {
    name,
    label: name.replace(/__c$/, '').replace(/_/g, ' '),
    type: field.type,
    length: field.length ?? 0,
    nillable: field.type !== 'id' && field.type !== 'boolean',
    createable: field.readOnly !== true && editable,
    updateable: field.readOnly !== true && editable,
    externalIdField: field.externalId === true,
    referenceTo: field.referenceTo === undefined ? [] : [field.referenceTo],
    relationshipName: field.relationshipName ?? null,
    picklistValues: (field.values ?? []).map((value) => ({ active: true, defaultValue: false, label: value, value })),
    restrictedPicklist: field.values !== undefined,
    custom: name.endsWith('__c'),
  };
}

/** Relationship name → reference field, e.g. `Account__r` → `Account__c` on custom objects. */
function relationshipField(spec: ObjectSpec, relationshipName: string): [string, FieldSpec] | undefined {
  for (const [name, field] of Object.entries(spec)) {
    if (field.type === 'reference' && field.relationshipName?.toLowerCase() === relationshipName.toLowerCase()) {
      return [name, field];
    }
  }
  return undefined;
}

function canonicalField(spec: ObjectSpec, name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.keys(spec).find((f) => f.toLowerCase() === lower);
}

export async function startSalesforceStandIn(options: SalesforceStandInOptions = {}): Promise<SalesforceStandIn> {
  const clientId = options.clientId ?? STANDIN_CLIENT_ID;
  const clientSecret = options.clientSecret ?? STANDIN_CLIENT_SECRET;
  const store = new Map<string, Map<string, Row>>();
  /** Deleted rows (the Recycle Bin), by 18-character Id. */
  const recycleBin = new Map<string, { readonly sobject: string; readonly row: Row }>();
  const validTokens = new Set<string>();
  const injectedRecordFailures = new Map<string, { errorCode: string; message: string; remaining: number }>();
  /** Requests to fail, in order: `remaining` requests in a row with each status and code. */
  const injectedRequestFailures: Array<{ status: number; errorCode: string; remaining: number }> = [];
  const requests: Array<{ method: string; path: string }> = [];
  let counter = 0;
  let apiCalls = 0;
  let logins = 0;
  let url = '';
  let organization: StandInOrganization = { ...DEFAULT_STANDIN_ORGANIZATION, ...options.organization };
  const access = integrationUserAccess(options.permissionSetXml);
  const userSpecs = new Map<string, ObjectSpec | undefined>();

  /** The object as this org has it: without CurrencyIsoCode unless multi-currency is enabled. */
  const objectSpec = (sobject: string): ObjectSpec | undefined => {
    const spec = Object.hasOwn(DATA_MODEL, sobject) ? DATA_MODEL[sobject] : Object.hasOwn(SYSTEM_OBJECTS, sobject) ? SYSTEM_OBJECTS[sobject] : undefined;
    if (sobject === 'CurrencyType' && !organization.multiCurrency) return undefined;
    if (spec === undefined || organization.multiCurrency || !('CurrencyIsoCode' in spec)) return spec;
    const { CurrencyIsoCode: _absent, ...rest } = spec;
    return rest;
  };

  /** The object as the integration user sees it: undefined when hidden, hidden fields left out. */
  const userSpec = (sobject: string): ObjectSpec | undefined => {
    if (!userSpecs.has(sobject)) {
      const schema = objectSpec(sobject);
      userSpecs.set(
        sobject,
        schema === undefined || !access.objectReadable(sobject)
          ? undefined
          : Object.fromEntries(Object.entries(schema).filter(([field]) => access.fieldReadable(sobject, field))),
      );
    }
    return userSpecs.get(sobject);
  };

  const requireObject = (sobject: string): ObjectSpec => {
    const spec = userSpec(sobject);
    if (spec === undefined) fail(404, 'NOT_FOUND', `The requested resource does not exist`);
    return spec as ObjectSpec;
  };

  const requireQueryObject = (sobject: string): ObjectSpec => {
    const spec = userSpec(sobject);
    if (spec === undefined) fail(400, 'INVALID_TYPE', `sObject type '${sobject}' is not supported.`);
    return spec as ObjectSpec;
  };

  const cannotWrite = (name: string, forInsert: boolean): SaveError =>
    saveError(
      'INVALID_FIELD_FOR_INSERT_UPDATE',
      `Unable to ${forInsert ? 'create' : 'update'} fields: ${name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
      [name],
    );

  /** The Organization row, as queries see it. */
  const organizationRow = (): Row => ({
    Id: organization.id,
    Name: organization.name,
    DefaultCurrencyIsoCode: organization.defaultCurrencyIsoCode,
    IsSandbox: organization.isSandbox,
    OrganizationType: organization.isSandbox ? 'Developer Edition' : 'Enterprise Edition',
  });

  /** CurrencyType rows, as queries see them (multi-currency orgs). */
  const currencyTypeRows = (): Row[] =>
    Object.entries(organization.conversionRates).map(([isoCode, rate], index) => ({
      Id: toEighteen(`02B5g${String(index).padStart(10, '0')}`),
      IsoCode: isoCode,
      ConversionRate: rate,
      DecimalPlaces: 2,
      IsActive: true,
      IsCorporate: isoCode === organization.defaultCurrencyIsoCode,
    }));

  /**
   * SystemModstamp: Salesforce sets it on every save. Kept strictly increasing here (a real org
   * stores seconds; two saves in one second tie, which the roll-up rule lets through).
   */
  let lastModstamp = 0;
  const modstamp = (sobject: string): Record<string, unknown> => {
    if (objectSpec(sobject)?.['SystemModstamp'] === undefined) return {};
    lastModstamp = Math.max(Date.now(), lastModstamp + 1);
    return { SystemModstamp: new Date(lastModstamp).toISOString() };
  };

  const orgRules: Array<{ sobject: string; message: string; field?: string; rejects: (record: Readonly<Record<string, unknown>>) => boolean }> = [];

  // Seeded (mulberry32), restarted whenever `jitter` is set to another seed.
  let rng: { seed: number; state: number } | undefined;
  const nextJitter = (): number => {
    const jitter = standIn.jitter;
    if (jitter === undefined || jitter.maxMs <= 0) return 0;
    if (rng?.seed !== jitter.seed) rng = { seed: jitter.seed, state: jitter.seed >>> 0 };
    rng.state = (rng.state + 0x6d2b79f5) >>> 0;
    let t = rng.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return Math.floor(unit * (jitter.maxMs + 1));
  };

  /**
   * Every Account has an owner: one created without OwnerId is owned by the user who creates it
   * (Object Reference, Account: OwnerId "The ID of the user who currently owns this account.
   * Default value is the user logged in to the API to perform the create"), here the integration user.
   */
  const ownedByDefault = (sobject: string, values: Record<string, unknown>): Record<string, unknown> => {
    if (sobject !== 'Account' || (values['OwnerId'] !== undefined && values['OwnerId'] !== null)) return values;
    if (!table('User').has(STANDIN_INTEGRATION_USER_ID)) table('User').set(STANDIN_INTEGRATION_USER_ID, { Id: STANDIN_INTEGRATION_USER_ID, Name: 'Stripe Bridge Integration' });
    return { ...values, OwnerId: STANDIN_INTEGRATION_USER_ID };
  };

  const table = (sobject: string): Map<string, Row> => {
    let rows = store.get(sobject);
    if (rows === undefined) {
      rows = new Map();
      store.set(sobject, rows);
    }
    return rows;
  };

  const newId = (sobject: string): string => {
    counter += 1;
    const prefix = KEY_PREFIX[sobject] ?? 'a0Z';
    const body = `5g${counter.toString(36).toUpperCase().padStart(10, '0')}`;
    return toEighteen(`${prefix}${body}`);
  };

  const findById = (sobject: string, id: string): Row | undefined => {
    const rows = store.get(sobject);
    if (rows === undefined) return undefined;
    const id15 = id.slice(0, 15);
    for (const row of rows.values()) if (row.Id.slice(0, 15) === id15) return row;
    return undefined;
  };

  const findByField = (sobject: string, field: string, value: unknown): Row[] =>
    [...(store.get(sobject)?.values() ?? [])].filter((row) =>
      field === 'Id' && typeof value === 'string' ? row.Id.slice(0, 15) === value.slice(0, 15) : row[field] === value,
    );

  const issueToken = (): string => {
    const token = `00Dstandin!${randomBytes(24).toString('base64url')}`;
    validTokens.add(token);
    return token;
  };

  interface Saved {
    readonly rows: Map<string, Map<string, Row>>;
    readonly recycled: Map<string, { readonly sobject: string; readonly row: Row }>;
  }

  const snapshot = (): Saved => ({
    rows: new Map([...store].map(([sobject, rows]) => [sobject, new Map([...rows].map(([id, row]) => [id, { ...row }]))])),
    recycled: new Map(recycleBin),
  });

  /**
   * What an all-or-none request rolls back to. Copying every row costs as much as the store is
   * large, so it is taken only when the request is all-or-none; otherwise nothing is rolled back.
   */
  const snapshotIf = (allOrNone: boolean): Saved | undefined => (allOrNone ? snapshot() : undefined);

  const restore = (saved: Saved): void => {
    store.clear();
    for (const [sobject, rows] of saved.rows) store.set(sobject, rows);
    recycleBin.clear();
    for (const [id, entry] of saved.recycled) recycleBin.set(id, entry);
  };

  /** In the Recycle Bin (deleted, not yet purged); ids compared on their first 15 characters. */
  const isRecycled = (id: string): boolean => [...recycleBin.keys()].some((binned) => binned.slice(0, 15) === id.slice(0, 15));

  /** The user's object permissions do not allow this write (see the header comment for the source). */
  const insufficientAccess = (): SaveError => saveError('INSUFFICIENT_ACCESS_OR_READONLY', 'insufficient access rights on object id');

  const takeInjectedFailure = (sobject: string, keyValue: string): SaveError | undefined => {
    const key = `${sobject}\u0000${keyValue}`;
    const injected = injectedRecordFailures.get(key);
    if (injected === undefined) return undefined;
    injected.remaining -= 1;
    if (injected.remaining <= 0) injectedRecordFailures.delete(key);
    return saveError(injected.errorCode, injected.message);
  };

  // ---- record validation -------------------------------------------------------------------

  /**
   * Checks what Salesforce's JSON deserializer checks: every key must be a field or relationship
   * of the object, and values must fit the JSON type. Failing here fails the whole request.
   */
  const checkShape = (sobject: string, spec: ObjectSpec, record: Record<string, unknown>): void => {
    for (const [key, value] of Object.entries(record)) {
      if (key === 'attributes') continue;
      const name = canonicalField(spec, key);
      const field = name === undefined ? undefined : spec[name];
      if (field === undefined) {
        const relationship = relationshipField(spec, key);
        if (relationship === undefined) fail(400, 'INVALID_FIELD', `No such column '${key}' on sobject of type ${sobject}`);
        if (!isPlainObject(value)) {
          fail(400, 'JSON_PARSER_ERROR', `Cannot deserialize instance of ${sobject}.${key} from ${typeof value} value`);
        }
        const target = requireObject((relationship as [string, FieldSpec])[1].referenceTo as string);
        const keys = Object.keys(value as Record<string, unknown>).filter((k) => k !== 'attributes');
        for (const k of keys) {
          if (canonicalField(target, k) === undefined) {
            fail(400, 'INVALID_FIELD', `No such column '${k}' on sobject of type ${String(relationship?.[1].referenceTo)}`);
          }
        }
        continue;
      }
      if (value === null) continue;
      const jsonError = (): never =>
        fail(
          400,
          'JSON_PARSER_ERROR',
          `Cannot deserialize instance of ${field.type} from ${Array.isArray(value) ? 'START_ARRAY' : typeof value} value ${
            isPlainObject(value) || Array.isArray(value) ? '' : String(value)
          } or request may be missing a required field`,
        );
      if (isPlainObject(value) || Array.isArray(value)) jsonError();
      if ((field.type === 'double' || field.type === 'integer' || field.type === 'currency') && typeof value !== 'number') {
        if (typeof value !== 'string' || value.trim() === '' || Number.isNaN(Number(value))) jsonError();
      }
    }
  };

  /** Per-record checks: what Salesforce reports in a SaveResult's `errors`. */
  const recordErrors = (sobject: string, spec: ObjectSpec, record: Record<string, unknown>, forInsert: boolean): SaveError[] => {
    const errors: SaveError[] = [];
    for (const [key, value] of Object.entries(record)) {
      if (key === 'attributes' || key === 'Id') continue;
      const name = canonicalField(spec, key);
      if (name === undefined) {
        const [lookupName, lookup] = relationshipField(spec, key) as [string, FieldSpec];
        if (!access.fieldEditable(sobject, lookupName)) {
          errors.push(cannotWrite(lookupName, forInsert));
          continue;
        }
        const target = lookup.referenceTo as string;
        const targetSpec = requireObject(target);
        const ref = value as Record<string, unknown>;
        const refKey = Object.keys(ref).find((k) => k !== 'attributes') as string;
        const refField = canonicalField(targetSpec, refKey) as string;
        if (refField !== 'Id' && targetSpec[refField]?.externalId !== true) {
          errors.push(saveError('INVALID_FIELD', `${refField} is not an External ID or indexed field for ${target}`));
          continue;
        }
        const matches = findByField(target, refField, ref[refKey]);
        if (matches.length === 0) {
          errors.push(
            saveError('INVALID_FIELD', `Foreign key external ID: ${String(ref[refKey])} not found for field ${refField} in entity ${target}`),
          );
        } else if (matches.length > 1) {
          errors.push(
            saveError('DUPLICATE_EXTERNAL_ID', `Foreign key external ID: ${String(ref[refKey])} matched more than one record for field ${refField} in entity ${target}`, [lookupName]),
          );
        }
        continue;
      }
      const field = spec[name] as FieldSpec;
      if (field.readOnly === true || !access.fieldEditable(sobject, name)) {
        errors.push(cannotWrite(name, forInsert));
        continue;
      }
      if (value === null) continue;
      switch (field.type) {
        case 'boolean':
          if (typeof value !== 'boolean') {
            errors.push(saveError('INVALID_TYPE_ON_FIELD_IN_RECORD', `${name}: value not of required type: ${String(value)}`, [name]));
          }
          break;
        case 'date':
          if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) {
            errors.push(saveError('INVALID_TYPE_ON_FIELD_IN_RECORD', `${name}: value not of required type: ${String(value)}`, [name]));
          }
          break;
        case 'datetime':
          if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(Date.parse(value))) {
            errors.push(saveError('INVALID_TYPE_ON_FIELD_IN_RECORD', `${name}: value not of required type: ${String(value)}`, [name]));
          }
          break;
        case 'reference': {
          const id = String(value);
          if (!ID_PATTERN.test(id)) {
            errors.push(saveError('MALFORMED_ID', `${name}: id value of incorrect type: ${id}`, [name]));
          } else if ((POLYMORPHIC[sobject]?.[name] ?? [field.referenceTo as string]).every((target) => findById(target, id) === undefined)) {
            // A record in the Recycle Bin: "entity is deleted", naming no field (an Apex DmlException
            // reads "ENTITY_IS_DELETED, entity is deleted: []"); one gone for good: an invalid id.
            errors.push(isRecycled(id) ? saveError('ENTITY_IS_DELETED', 'entity is deleted') : saveError('INVALID_CROSS_REFERENCE_KEY', `invalid cross reference id`, [name]));
          }
          break;
        }
        case 'picklist':
          if (field.values !== undefined && !field.values.includes(String(value))) {
            errors.push(saveError('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', `bad value for restricted picklist field: ${String(value)}`, [name]));
          }
          break;
        case 'email':
          if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(String(value))) {
            errors.push(saveError('INVALID_EMAIL_ADDRESS', `${name}: invalid email address: ${String(value)}`, [name]));
          }
          break;
        default:
          if (field.length !== undefined && String(value).length > field.length) {
            errors.push(
              saveError('STRING_TOO_LONG', `${name}: data value too large: ${String(value).slice(0, 40)} (max length=${field.length})`, [name]),
            );
          }
      }
    }
    return errors;
  };

  /** Field values as stored: relationship references resolved into the lookup field's Id. */
  const storedValues = (spec: ObjectSpec, record: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(record)) {
      if (key === 'attributes' || key === 'Id') continue;
      const name = canonicalField(spec, key);
      if (name !== undefined) {
        const type = spec[name]?.type;
        out[name] = (type === 'double' || type === 'currency') && typeof value === 'string' ? Number(value) : value;
        continue;
      }
      const [lookupName, lookup] = relationshipField(spec, key) as [string, FieldSpec];
      const ref = value as Record<string, unknown>;
      const refKey = Object.keys(ref).find((k) => k !== 'attributes') as string;
      const targetSpec = requireObject(lookup.referenceTo as string);
      out[lookupName] = findByField(lookup.referenceTo as string, canonicalField(targetSpec, refKey) as string, ref[refKey])[0]?.Id ?? null;
    }
    return out;
  };

  // ---- validation rules (the package's, salesforce/force-app/.../validationRules) ----------------

  const ruleError = (rule: ValidationRuleSpec): SaveError =>
    saveError('FIELD_CUSTOM_VALIDATION_EXCEPTION', rule.errorMessage, [rule.errorDisplayField]);

  const versionOf = (row: Record<string, unknown> | undefined): number | undefined => {
    const value = row?.[VERSION_FIELD];
    return typeof value === 'number' ? value : undefined;
  };

  /**
   * The package's precedence rules (Stripe_Reject_Older_Event, Stripe_Reject_Superseded_Failure),
   * evaluated as Salesforce does after the system checks, on the record as it would be saved
   * (prior values merged with the new ones). Each request is handled to the end before the next
   * one starts, as Salesforce's row lock serializes saves of a record. A failing rule answers
   * FIELD_CUSTOM_VALIDATION_EXCEPTION with the rule's message, its error location in `fields`.
   * They need the store (a Case's rule reads its payment or invoice), so they live here rather
   * than in STANDIN_VALIDATION_RULES.
   */
  const precedenceErrors = (sobject: string, prior: Row | undefined, values: Record<string, unknown>): SaveError[] => {
    const next = { ...prior, ...values };
    const nextVersion = versionOf(next);
    // OLDER_EVENT_RULE: AND(NOT(ISNEW()), NOT(ISBLANK(…)), NOT(ISBLANK(PRIORVALUE(…))), … < PRIORVALUE(…))
    if (isVersionedObject(sobject) && prior !== undefined) {
      const priorVersion = versionOf(prior);
      if (nextVersion !== undefined && priorVersion !== undefined && nextVersion < priorVersion) return [ruleError(OLDER_EVENT_RULE)];
    }
    // OLDER_ROLLUP_RULE: AND(NOT(ISNEW()), NOT(ISBLANK(…)), NOT(ISBLANK(PRIORVALUE(…))), … < PRIORVALUE(…))
    if (sobject === 'Account' && prior !== undefined) {
      const nextRollup = next[ROLLUP_VERSION_FIELD];
      const priorRollup = prior[ROLLUP_VERSION_FIELD];
      if (typeof nextRollup === 'number' && typeof priorRollup === 'number' && nextRollup < priorRollup) return [ruleError(OLDER_ROLLUP_RULE)];
    }
    // SUPERSEDED_FAILURE_RULE: a new Case whose payment or invoice already carries a higher key.
    if (sobject === 'Case' && prior === undefined && nextVersion !== undefined) {
      for (const [lookup, parentType] of [
        ['Stripe_Payment__c', 'Stripe_Payment__c'],
        ['Stripe_Invoice__c', 'Stripe_Invoice__c'],
      ] as const) {
        const parentId = next[lookup];
        const parentVersion = typeof parentId === 'string' ? versionOf(findById(parentType, parentId)) : undefined;
        if (parentVersion !== undefined && nextVersion < parentVersion) return [ruleError(SUPERSEDED_FAILURE_RULE)];
      }
    }
    return [];
  };

  /** Every validation rule of a save: the precedence rules, the package's others, the org's own. */
  const saveRuleErrors = (sobject: string, prior: Row | undefined, values: Record<string, unknown>): SaveError[] => {
    const next = { ...prior, ...values };
    return [
      ...precedenceErrors(sobject, prior, values),
      ...validationErrors(sobject, prior, values),
      ...orgRules
        .filter((rule) => rule.sobject === sobject && rule.rejects(next))
        .map((rule) => saveError('FIELD_CUSTOM_VALIDATION_EXCEPTION', rule.message, rule.field === undefined ? [] : [rule.field])),
    ];
  };

  /**
   * Fields Salesforce derives on save: a new Case takes the default Status (CaseStatus.IsDefault,
   * `New` in a new org) and a Case's IsClosed follows its Status ("Indicates whether this case
   * status value represents a closed Case", Object Reference, CaseStatus): here `Closed`; every
   * save sets SystemModstamp.
   */
  const derived = (sobject: string, values: Record<string, unknown>, isNew: boolean): Record<string, unknown> => {
    if (sobject === 'Task') {
      // A new Task takes the org's default Status and Priority and its creator as owner; IsClosed follows Status.
      const task = isNew ? { OwnerId: STANDIN_INTEGRATION_USER_ID, ...DEFAULT_TASK, ...Object.fromEntries(Object.entries(values).filter(([, v]) => v !== null && v !== undefined)) } : values;
      return 'Status' in task ? { ...task, IsClosed: task.Status === COMPLETED_TASK_STATUS } : task;
    }
    if (sobject === 'Account' && isNew) return { ...ownedByDefault(sobject, values), ...modstamp(sobject) };
    if (sobject !== 'Case') return { ...values, ...modstamp(sobject) };
    const withStatus = isNew && (values.Status === undefined || values.Status === null) ? { ...values, Status: DEFAULT_CASE_STATUS } : values;
    return 'Status' in withStatus ? { ...withStatus, IsClosed: withStatus.Status === CLOSED_CASE_STATUS } : withStatus;
  };

  // ---- writes ----------------------------------------------------------------------------------

  interface SaveResult {
    id?: string;
    success: boolean;
    errors: SaveError[];
    created?: boolean;
  }

  const applyAllOrNone = (results: SaveResult[], saved: Saved | undefined): SaveResult[] => {
    if (saved === undefined || results.every((r) => r.success)) return results;
    restore(saved);
    return results.map((r) =>
      r.success
        ? {
            success: false,
            errors: [
              saveError(
                'ALL_OR_NONE_OPERATION_ROLLED_BACK',
                'Record rolled back because not all records were valid and the request was using AllOrNone header',
              ),
            ],
          }
        : { success: false, errors: r.errors },
    );
  };

  const parseCollectionBody = (body: unknown): { allOrNone: boolean; records: Array<Record<string, unknown>> } => {
    if (!isPlainObject(body) || !Array.isArray(body.records)) {
      return fail(400, 'JSON_PARSER_ERROR', 'The request body must be an object with a records array');
    }
    const records = body.records as unknown[];
    if (records.length > MAX_COLLECTION_RECORDS) {
      fail(400, 'EXCEEDED_ID_LIMIT', `record limit reached. cannot submit more than ${MAX_COLLECTION_RECORDS} records into this call`);
    }
    for (const record of records) {
      if (!isPlainObject(record)) fail(400, 'JSON_PARSER_ERROR', 'Each record must be a JSON object');
    }
    return { allOrNone: body.allOrNone === true, records: records as Array<Record<string, unknown>> };
  };

  const recordType = (record: Record<string, unknown>): string | undefined => {
    const attributes = record.attributes;
    return isPlainObject(attributes) && typeof attributes.type === 'string' ? attributes.type : undefined;
  };

  const upsertOne = (sobject: string, spec: ObjectSpec, keyField: string, record: Record<string, unknown>): SaveResult => {
    const keyValue = record[keyField];
    if (typeof keyValue !== 'string' || keyValue === '') {
      return { success: false, errors: [saveError('MISSING_ARGUMENT', `${keyField} not specified`, [keyField])] };
    }
    const matches = findByField(sobject, keyField, keyValue);
    // Upsert needs Create to insert and Edit to update: which one depends on the match.
    if (matches.length === 1 ? !access.objectEditable(sobject) : matches.length === 0 && !access.objectCreatable(sobject)) {
      return { ...(matches[0] ? { id: matches[0].Id } : {}), success: false, errors: [insufficientAccess()] };
    }
    const errors = recordErrors(sobject, spec, record, true);
    const injected = errors.length === 0 ? takeInjectedFailure(sobject, keyValue) : undefined;
    if (injected !== undefined) errors.push(injected);
    if (errors.length > 0) return { success: false, errors };
    if (matches.length > 1) {
      return {
        success: false,
        errors: [saveError('DUPLICATE_EXTERNAL_ID', `${keyField}: more than one record found for external id field: ${matches.map((m) => m.Id).join(', ')}`, [keyField])],
      };
    }
    const values = storedValues(spec, record);
    const existing = matches[0];
    const refused = saveRuleErrors(sobject, existing, values);
    if (refused.length > 0) return { ...(existing ? { id: existing.Id } : {}), success: false, errors: refused };
    if (existing !== undefined) {
      Object.assign(existing, derived(sobject, values, false));
      return { id: existing.Id, success: true, errors: [], created: false };
    }
    const id = newId(sobject);
    table(sobject).set(id, { ...derived(sobject, values, true), Id: id });
    return { id, success: true, errors: [], created: true };
  };

  const collectionsUpsert = (sobject: string, keyFieldRaw: string, body: unknown): Reply => {
    const spec = requireObject(sobject);
    const keyField = canonicalField(spec, keyFieldRaw);
    if (keyField === undefined) fail(400, 'INVALID_FIELD', `No such column '${keyFieldRaw}' on sobject of type ${sobject}`);
    if (keyField === 'Id' || spec[keyField as string]?.externalId !== true) {
      // sObject Collections upsert accepts external ids only, never record ids.
      fail(400, 'INVALID_FIELD', `Field name provided, ${keyFieldRaw} is not an External ID or indexed field for ${sobject}`);
    }
    const { allOrNone, records } = parseCollectionBody(body);
    for (const record of records) {
      const type = recordType(record);
      if (type === undefined) fail(400, 'INVALID_TYPE', 'Must send a concrete entity type.');
      if (type !== sobject) fail(400, 'INVALID_TYPE', `All records must be of type ${sobject}`);
      checkShape(sobject, spec, record);
    }
    const counts = new Map<unknown, number>();
    for (const record of records) counts.set(record[keyField as string], (counts.get(record[keyField as string]) ?? 0) + 1);
    const saved = snapshotIf(allOrNone);
    const results = records.map((record): SaveResult => {
      const keyValue = record[keyField as string];
      if ((counts.get(keyValue) ?? 0) > 1) {
        return { success: false, errors: [saveError('DUPLICATE_VALUE', `Duplicate external id specified: ${String(keyValue)}`, [keyField as string])] };
      }
      return upsertOne(sobject, spec, keyField as string, record);
    });
    return { status: 200, body: applyAllOrNone(results, saved) };
  };

  const updateOne = (record: Record<string, unknown>): SaveResult => {
    const sobject = recordType(record) as string;
    const spec = requireObject(sobject);
    const id = record.Id;
    if (typeof id !== 'string' || id === '') {
      return { success: false, errors: [saveError('MISSING_ARGUMENT', 'Id not specified in an update call')] };
    }
    if (!ID_PATTERN.test(id) || (KEY_PREFIX[sobject] !== undefined && !id.startsWith(KEY_PREFIX[sobject]))) {
      return { success: false, errors: [saveError('MALFORMED_ID', `${sobject} ID: id value of incorrect type: ${id}`, ['Id'])] };
    }
    if (!access.objectEditable(sobject)) return { success: false, errors: [insufficientAccess()] };
    const existing = findById(sobject, id);
    if (existing === undefined) {
      return { success: false, errors: [saveError('ENTITY_IS_DELETED', 'entity is deleted')] };
    }
    const errors = recordErrors(sobject, spec, record, false);
    const injected = errors.length === 0 ? takeInjectedFailure(sobject, existing.Id) ?? takeInjectedFailure(sobject, existing.Id.slice(0, 15)) : undefined;
    if (injected !== undefined) errors.push(injected);
    if (errors.length > 0) return { id: existing.Id, success: false, errors };
    const values = storedValues(spec, record);
    const refused = saveRuleErrors(sobject, existing, values);
    if (refused.length > 0) return { id: existing.Id, success: false, errors: refused };
    Object.assign(existing, derived(sobject, values, false));
    return { id: existing.Id, success: true, errors: [] };
  };

  /**
   * An insert whose unique external id (DATA_MODEL `externalId`: the package's fields are External
   * ID and Unique) another record holds already: Salesforce refuses it with DUPLICATE_VALUE,
   * "duplicate value found: <field> duplicates value on record with id: <id>", and no `fields`
   * (StatusCode DUPLICATE_VALUE, "You can't supply a duplicate value for a field that must be
   * unique", SOAP API Developer Guide, Core Data Types; the message as Salesforce renders it, e.g.
   * github.com/SalesforceLabs/QuotaEdit/issues/82).
   */
  const uniqueValueHolder = (sobject: string, spec: ObjectSpec, values: Record<string, unknown>): SaveError | undefined => {
    for (const [field, value] of Object.entries(values)) {
      if (spec[field]?.externalId !== true || typeof value !== 'string' || value === '') continue;
      const holder = findByField(sobject, field, value)[0];
      if (holder !== undefined) return saveError('DUPLICATE_VALUE', `duplicate value found: ${field} duplicates value on record with id: ${holder.Id}`, []);
    }
    return undefined;
  };

  const createOne = (record: Record<string, unknown>): SaveResult => {
    const sobject = recordType(record) as string;
    const spec = requireObject(sobject);
    if (record.Id !== undefined) {
      return { success: false, errors: [saveError('INVALID_FIELD', 'Id cannot be specified in an insert call', ['Id'])] };
    }
    if (!access.objectCreatable(sobject)) return { success: false, errors: [insufficientAccess()] };
    const errors = recordErrors(sobject, spec, record, true);
    if (errors.length > 0) return { success: false, errors };
    const values = storedValues(spec, record);
    const duplicate = uniqueValueHolder(sobject, spec, values);
    if (duplicate !== undefined) return { success: false, errors: [duplicate] };
    const refused = saveRuleErrors(sobject, undefined, values);
    if (refused.length > 0) return { success: false, errors: refused };
    const id = newId(sobject);
    table(sobject).set(id, { ...derived(sobject, values, true), Id: id });
    return { id, success: true, errors: [] };
  };

  /** Delete: needs the Delete object permission; the row goes to the Recycle Bin. */
  const deleteOne = (sobject: string, id: string): SaveResult => {
    if (!ID_PATTERN.test(id)) return { success: false, errors: [saveError('MALFORMED_ID', `invalid record id: ${id}`)] };
    if (!access.objectDeletable(sobject)) return { id, success: false, errors: [insufficientAccess()] };
    const existing = findById(sobject, id);
    if (existing === undefined) {
      return { id, success: false, errors: [isRecycled(id) ? saveError('ENTITY_IS_DELETED', 'entity is deleted') : saveError('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id')] };
    }
    moveToRecycleBin(sobject, existing);
    return { id: existing.Id, success: true, errors: [] };
  };

  const moveToRecycleBin = (sobject: string, row: Row): void => {
    store.get(sobject)?.delete(row.Id);
    recycleBin.set(row.Id, { sobject, row });
  };

  /** The object an id belongs to: by key prefix, else by the table that holds it. */
  const objectOfId = (id: string): string | undefined =>
    Object.entries(KEY_PREFIX).find(([, prefix]) => id.startsWith(prefix))?.[0] ??
    [...store].find(([, rows]) => [...rows.keys()].some((rowId) => rowId.slice(0, 15) === id.slice(0, 15)))?.[0] ??
    [...recycleBin.values()].find((entry) => entry.row.Id.slice(0, 15) === id.slice(0, 15))?.sobject;

  /** sObject Collections delete: `DELETE /composite/sobjects?ids=…&allOrNone=…`, one result per id. */
  const collectionsDelete = (search: URLSearchParams): Reply => {
    const ids = (search.get('ids') ?? '').split(',').map((id) => id.trim()).filter((id) => id !== '');
    if (ids.length === 0) fail(400, 'MISSING_ARGUMENT', 'ids parameter is required');
    if (ids.length > MAX_COLLECTION_RECORDS) {
      fail(400, 'EXCEEDED_ID_LIMIT', `record limit reached. cannot submit more than ${MAX_COLLECTION_RECORDS} records into this call`);
    }
    const saved = snapshotIf(search.get('allOrNone') === 'true');
    const results = ids.map((id): SaveResult => {
      const sobject = objectOfId(id);
      if (sobject === undefined || userSpec(sobject) === undefined) return { id, success: false, errors: [saveError('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id')] };
      return deleteOne(sobject, id);
    });
    return { status: 200, body: applyAllOrNone(results, saved) };
  };

  const collectionsWrite = (body: unknown, write: (record: Record<string, unknown>) => SaveResult): Reply => {
    const { allOrNone, records } = parseCollectionBody(body);
    for (const record of records) {
      const type = recordType(record);
      if (type === undefined) fail(400, 'INVALID_TYPE', 'Must send a concrete entity type.');
      checkShape(type as string, requireObject(type as string), record);
    }
    const saved = snapshotIf(allOrNone);
    return { status: 200, body: applyAllOrNone(records.map(write), saved) };
  };

  const singleResult = (result: SaveResult, okStatus: number): Reply =>
    result.success
      ? { status: okStatus, body: result }
      : { status: 400, body: result.errors.map((e) => ({ message: e.message, errorCode: e.statusCode, fields: e.fields })) };

  // ---- SOQL ----------------------------------------------------------------------------------------

  /** The rows of a query's FROM object that meet its WHERE; a semi-join's values come from its own query. */
  const matchingRows = (parsed: ParsedQuery): { spec: ObjectSpec; rows: Row[] } => {
    const spec = requireQueryObject(parsed.from);
    const source =
      parsed.from === 'Organization' ? [organizationRow()] : parsed.from === 'CurrencyType' ? currencyTypeRows() : [...(store.get(parsed.from)?.values() ?? [])];
    return { spec, rows: filterRows(parsed, spec, source) };
  };

  /** The rows that meet a query's WHERE (the top-level query's, or a child subquery's). */
  const filterRows = (parsed: ParsedQuery, spec: ObjectSpec, source: readonly Row[]): Row[] => {
    const conditions = parsed.where.map((c) => {
      const field = canonicalField(spec, c.field);
      if (field === undefined) fail(400, 'INVALID_FIELD', noSuchColumn(c.field, parsed.from));
      if (c.subquery === undefined) return { field: field as string, values: c.values, negated: c.negated === true };
      // Semi-join (`Id IN (SELECT …)`): one selected field, ids compared on their first 15 characters.
      const inner = matchingRows(c.subquery);
      const [selected] = c.subquery.select;
      if (c.subquery.select.length !== 1 || selected?.kind !== 'field' || selected.path.length !== 1) {
        fail(400, 'MALFORMED_QUERY', 'Semi join sub-selects are only allowed to contain a single field');
      }
      const innerField = canonicalField(inner.spec, (selected as { path: readonly string[] }).path[0] as string);
      if (innerField === undefined) fail(400, 'INVALID_FIELD', noSuchColumn(String((selected as { path: readonly string[] }).path[0]), c.subquery.from));
      return {
        field: field as string,
        negated: false,
        values: inner.rows.map((r) => r[innerField as string]).map((v) => (typeof v === 'string' && ID_PATTERN.test(v) ? v.slice(0, 15) : v)),
      };
    });
    const same = (a: unknown, b: unknown): boolean =>
      typeof a === 'string' && typeof b === 'string' && ID_PATTERN.test(a) && ID_PATTERN.test(b) ? a.slice(0, 15) === b.slice(0, 15) : (a ?? null) === b;
    const rows = source.filter((row) => conditions.every((c) => c.values.some((v) => same(row[c.field], v)) !== c.negated));
    if (parsed.orderBy !== undefined) {
      const field = canonicalField(spec, parsed.orderBy.field);
      if (field === undefined) fail(400, 'INVALID_FIELD', noSuchColumn(parsed.orderBy.field, parsed.from));
      const sign = parsed.orderBy.descending ? -1 : 1;
      // Nulls first ascending, last descending (SOQL's defaults).
      rows.sort((a, b) => sign * compareValues(a[field as string], b[field as string]));
    }
    return parsed.limit === undefined ? rows : rows.slice(0, parsed.limit);
  };

  const query = (soql: string, version: string): Reply => {
    const parsed = parseSoql(soql);
    const { spec, rows } = matchingRows(parsed);
    const records = parsed.select.some((item) => item.kind === 'aggregate') || parsed.groupBy.length > 0
      ? aggregateRows(parsed, spec, rows)
      : rows.map((row) => projectRow(parsed.from, spec, row, parsed.select, version));
    return { status: 200, body: { totalSize: records.length, done: true, records } };
  };

  /**
   * An aggregate query ("Aggregate Functions" and "GROUP BY", SOQL and SOSL Reference): one
   * AggregateResult per group, holding the grouped fields and each aggregate under its alias, or
   * `expr0`, `expr1`… for those without one. Currency fields summed with GROUP BY come back in
   * the corporate currency in multi-currency orgs ("If a query includes a GROUP BY or HAVING
   * clause, any currency data returned by using an aggregate function, such as SUM() or MAX(), is
   * in the org's default currency", convertCurrency(), SOQL and SOSL Reference).
   */
  const aggregateRows = (parsed: ParsedQuery, spec: ObjectSpec, rows: readonly Row[]): Record<string, unknown>[] => {
    const groupFields = parsed.groupBy.map((name) => canonicalField(spec, name) ?? fail(400, 'INVALID_FIELD', noSuchColumn(name, parsed.from)));
    for (const item of parsed.select) {
      if (item.kind === 'field' && !(item.path.length === 1 && groupFields.some((g) => g.toLowerCase() === (item.path[0] as string).toLowerCase()))) {
        fail(400, 'MALFORMED_QUERY', `field '${item.path.join('.')}' can not be grouped in a query call`);
      }
      if (item.kind === 'subquery') fail(400, 'MALFORMED_QUERY', 'Aggregate queries do not support subqueries');
    }
    const groups = new Map<string, Row[]>();
    for (const row of rows) {
      const key = JSON.stringify(groupFields.map((f) => row[f] ?? null));
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
    // Without GROUP BY an aggregate query answers one row, even over no records.
    if (groupFields.length === 0 && groups.size === 0) groups.set('[]', []);
    const valueOf = (row: Row, field: string): unknown => {
      const value = row[field];
      if (spec[field]?.type !== 'currency' || !organization.multiCurrency || typeof value !== 'number') return value;
      const rate = organization.conversionRates[String(row.CurrencyIsoCode ?? organization.defaultCurrencyIsoCode)] ?? 1;
      return value / rate;
    };
    return [...groups.values()].map((members) => {
      const out: Record<string, unknown> = { attributes: { type: 'AggregateResult' } };
      for (const field of groupFields) out[field] = members[0]?.[field] ?? null;
      let unnamed = 0;
      for (const item of parsed.select) {
        if (item.kind !== 'aggregate') continue;
        const field = canonicalField(spec, item.field);
        if (field === undefined) fail(400, 'INVALID_FIELD', noSuchColumn(item.field, parsed.from));
        const values = members.map((m) => valueOf(m, field as string)).filter((v) => v !== undefined && v !== null);
        const name = item.alias ?? `expr${unnamed++}`;
        if (item.fn === 'COUNT') out[name] = values.length;
        else if (values.length === 0) out[name] = null;
        else if (item.fn === 'SUM') out[name] = values.reduce((sum: number, v) => sum + Number(v), 0);
        else out[name] = values.reduce((best, v) => (compareValues(v, best) * (item.fn === 'MAX' ? 1 : -1) > 0 ? v : best));
      }
      return out;
    });
  };

  const attributesOf = (sobject: string, id: string, version: string) => ({
    type: sobject,
    url: `/services/data/v${version}/sobjects/${sobject}/${id}`,
  });

  const projectRow = (sobject: string, spec: ObjectSpec, row: Row, select: readonly SelectItem[], version: string): Record<string, unknown> => {
    const out: Record<string, unknown> = { attributes: attributesOf(sobject, row.Id, version) };
    for (const item of select) {
      if (item.kind === 'subquery') {
        const child = Object.entries(CHILD_RELATIONSHIPS[sobject] ?? {}).find(([name]) => name.toLowerCase() === item.relationship.toLowerCase());
        if (child === undefined) {
          fail(400, 'INVALID_TYPE', `Didn't understand relationship '${item.relationship}' in FROM part of query call.`);
        }
        const [relationshipName, { sobject: childObject, field }] = child as [string, { sobject: string; field: string }];
        const childSpec = requireObject(childObject);
        const children = filterRows(
          item.query,
          childSpec,
          [...(store.get(childObject)?.values() ?? [])].filter((c) => c[field] === row.Id),
        );
        out[relationshipName] =
          children.length === 0
            ? null
            : {
                totalSize: children.length,
                done: true,
                records: children.map((c) => projectRow(childObject, childSpec, c, item.select, version)),
              };
        continue;
      }
      if (item.kind === 'aggregate') fail(400, 'MALFORMED_QUERY', 'Aggregate functions need an aggregate query');
      const path = (item as { path: readonly string[] }).path;
      if (path.length === 1) {
        const field = canonicalField(spec, path[0] as string);
        if (field === undefined) fail(400, 'INVALID_FIELD', noSuchColumn(path[0] as string, sobject));
        out[field as string] = row[field as string] ?? null;
        continue;
      }
      // Parent field such as Account.Name: nested under the relationship name.
      const relationship = relationshipField(spec, path[0] as string);
      if (relationship === undefined) fail(400, 'INVALID_FIELD', noSuchColumn(path.join('.'), sobject));
      const [lookupField, lookup] = relationship as [string, FieldSpec];
      const relationshipName = lookup.relationshipName as string;
      const parentType = lookup.referenceTo as string;
      const parentSpec = requireObject(parentType);
      const parentField = canonicalField(parentSpec, path[1] as string);
      if (parentField === undefined) fail(400, 'INVALID_FIELD', noSuchColumn(path.join('.'), sobject));
      const parentId = row[lookupField];
      const parent = typeof parentId === 'string' ? findById(parentType, parentId) : undefined;
      if (parent === undefined) {
        if (!(relationshipName in out)) out[relationshipName] = null;
        continue;
      }
      const nested = (out[relationshipName] as Record<string, unknown> | null | undefined) ?? { attributes: attributesOf(parentType, parent.Id, version) };
      nested[parentField as string] = parent[parentField as string] ?? null;
      out[relationshipName] = nested;
    }
    return out;
  };

  // ---- routing ------------------------------------------------------------------------------------

  const route = (method: string, path: string, search: URLSearchParams, body: unknown): Reply => {
    const match = /^\/services\/data\/v(\d+\.\d)(\/.*)?$/.exec(path);
    if (match === null) return fail(404, 'NOT_FOUND', 'The requested resource does not exist');
    const version = match[1] as string;
    const major = Number(version);
    if (!Number.isInteger(major) || major < MIN_API_VERSION || major > MAX_API_VERSION) {
      fail(404, 'NOT_FOUND', 'The requested resource does not exist');
    }
    const rest = (match[2] ?? '/').replace(/\/$/, '');
    const parts = rest.split('/').filter((p) => p !== '').map(decodeURIComponent);
    const [first, second, third, fourth] = parts;

    if (first === 'composite' && parts.length === 1 && method === 'POST') return composite(body);
    if (first === 'composite' && second === 'sobjects') {
      if (parts.length === 4 && method === 'PATCH') return collectionsUpsert(third as string, fourth as string, body);
      if (parts.length === 2 && method === 'PATCH') return collectionsWrite(body, updateOne);
      if (parts.length === 2 && method === 'POST') return collectionsWrite(body, createOne);
      if (parts.length === 2 && method === 'DELETE') return collectionsDelete(search);
    }
    if (first === 'query' && parts.length === 1 && method === 'GET') {
      const q = search.get('q');
      if (q === null || q.trim() === '') return fail(400, 'MALFORMED_QUERY', 'A query string has to be specified');
      return query(q, version);
    }
    if (first === 'sobjects' && second !== undefined) {
      const spec = requireObject(second);
      if (parts.length === 2 && method === 'POST') {
        const record = isPlainObject(body) ? body : fail(400, 'JSON_PARSER_ERROR', 'The request body must be a JSON object');
        checkShape(second, spec, record);
        return singleResult(createOne({ ...record, attributes: { type: second } }), 201);
      }
      if (parts.length === 3 && method === 'GET' && third === 'describe') {
        // sObject Describe: https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_describe.htm
        return {
          status: 200,
          body: {
            name: second,
            label: second,
            custom: second.endsWith('__c'),
            queryable: true,
            // The user's object permissions, as the describe reports them.
            createable: !Object.hasOwn(SYSTEM_OBJECTS, second) && access.objectCreatable(second),
            updateable: !Object.hasOwn(SYSTEM_OBJECTS, second) && access.objectEditable(second),
            deletable: !Object.hasOwn(SYSTEM_OBJECTS, second) && access.objectDeletable(second),
            keyPrefix: KEY_PREFIX[second] ?? null,
            fields: Object.entries(spec).map(([name, field]) => describeField(name, field, access.fieldEditable(second, name))),
            urls: { sobject: `/services/data/v${version}/sobjects/${second}`, describe: `/services/data/v${version}/sobjects/${second}/describe` },
          },
        };
      }
      if (parts.length === 3 && method === 'GET') {
        const row = findById(second, third as string);
        if (row === undefined) return fail(404, 'NOT_FOUND', 'The requested resource does not exist');
        const fields = search.get('fields');
        const names = fields === null ? Object.keys(spec) : fields.split(',').map((f) => f.trim());
        return { status: 200, body: projectRow(second, spec, row, names.map((n) => ({ kind: 'field', path: n.split('.') })), version) };
      }
      if (parts.length === 3 && method === 'DELETE') {
        if (findById(second, third as string) === undefined && !isRecycled(third as string)) return fail(404, 'NOT_FOUND', 'The requested resource does not exist');
        const result = deleteOne(second, third as string);
        return result.success ? { status: 204, body: undefined } : singleResult(result, 204);
      }
      if (parts.length === 3 && method === 'PATCH') {
        const record = isPlainObject(body) ? body : fail(400, 'JSON_PARSER_ERROR', 'The request body must be a JSON object');
        checkShape(second, spec, record);
        const result = updateOne({ ...record, Id: third, attributes: { type: second } });
        return result.success ? { status: 204, body: undefined } : singleResult(result, 204);
      }
      if (parts.length === 4 && method === 'PATCH') {
        const keyField = canonicalField(spec, third as string);
        if (keyField === undefined || spec[keyField]?.externalId !== true) {
          return fail(404, 'NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${third}`);
        }
        const record = isPlainObject(body) ? body : fail(400, 'JSON_PARSER_ERROR', 'The request body must be a JSON object');
        checkShape(second, spec, record);
        const result = upsertOne(second, spec, keyField, { ...record, [keyField]: fourth });
        return singleResult(result, result.created === true ? 201 : 200);
      }
    }
    return fail(404, 'NOT_FOUND', 'The requested resource does not exist');
  };

  const runSafely = (method: string, path: string, search: URLSearchParams, body: unknown): Reply => {
    try {
      return route(method, path, search, body);
    } catch (err) {
      if (err instanceof RequestFailure) {
        return { status: err.status, body: [{ message: err.message, errorCode: err.errorCode } satisfies ApiError] };
      }
      throw err;
    }
  };

  const composite = (body: unknown): Reply => {
    if (!isPlainObject(body) || !Array.isArray(body.compositeRequest)) {
      return fail(400, 'JSON_PARSER_ERROR', 'The request body must contain compositeRequest');
    }
    const subrequests = body.compositeRequest as unknown[];
    if (subrequests.length === 0 || subrequests.length > MAX_COMPOSITE_SUBREQUESTS) {
      fail(400, 'INVALID_BATCH_REQUEST', `Composite request must contain between 1 and ${MAX_COMPOSITE_SUBREQUESTS} subrequests`);
    }
    const heavy = subrequests.filter(
      (s) => isPlainObject(s) && typeof s.url === 'string' && /\/(composite\/sobjects|query|queryAll)(\/|\?|$)/.test(s.url),
    ).length;
    if (heavy > MAX_COMPOSITE_COLLECTIONS_OR_QUERIES) {
      fail(400, 'INVALID_BATCH_REQUEST', `A composite request may contain at most ${MAX_COMPOSITE_COLLECTIONS_OR_QUERIES} sObject Collections or query subrequests`);
    }
    const allOrNone = body.allOrNone === true;
    const saved = snapshotIf(allOrNone);
    const responses: Array<{ body: unknown; httpHeaders: Record<string, string>; httpStatusCode: number; referenceId: string }> = [];
    let failedAt = -1;
    for (const [index, raw] of subrequests.entries()) {
      if (!isPlainObject(raw) || typeof raw.url !== 'string' || typeof raw.method !== 'string' || typeof raw.referenceId !== 'string') {
        fail(400, 'JSON_PARSER_ERROR', 'Each subrequest needs method, url and referenceId');
      }
      const sub = raw as { url: string; method: string; referenceId: string; body?: unknown };
      const target = new URL(sub.url, 'http://composite.invalid');
      // "If the Composite request has allOrNone set to true, then the all-or-none behavior also
      // applies to each of the sObject Collections subrequests, overriding the value of allOrNone in
      // the subrequests" (REST API Developer Guide, "allOrNone Parameters in Composite and
      // Collections Requests"): a record failing there fails the subrequest, so the whole Composite.
      const collections = allOrNone && /\/composite\/sobjects(\/|$)/.test(target.pathname);
      if (collections) target.searchParams.set('allOrNone', 'true');
      const subBody = collections && isPlainObject(sub.body) ? { ...sub.body, allOrNone: true } : sub.body;
      const reply = runSafely(sub.method.toUpperCase(), target.pathname, target.searchParams, subBody);
      responses.push({ body: reply.body ?? null, httpHeaders: {}, httpStatusCode: reply.status, referenceId: sub.referenceId });
      const recordFailed = collections && Array.isArray(reply.body) && reply.body.some((r) => isPlainObject(r) && r.success === false);
      if ((reply.status >= 400 || recordFailed) && failedAt < 0) {
        failedAt = index;
        if (allOrNone) break;
      }
    }
    if (saved !== undefined && failedAt >= 0) {
      restore(saved);
      const halted = { message: 'The transaction was rolled back since another operation in the same transaction failed.', errorCode: 'PROCESSING_HALTED' };
      return {
        status: 200,
        body: {
          compositeResponse: (subrequests as Array<{ referenceId: string }>).map((s, i) =>
            i === failedAt ? responses[i] : { body: [halted], httpHeaders: {}, httpStatusCode: 400, referenceId: s.referenceId },
          ),
        },
      };
    }
    return { status: 200, body: { compositeResponse: responses } };
  };

  // ---- OAuth ------------------------------------------------------------------------------------

  const tokenReply = (): Reply => {
    logins += 1;
    const token = issueToken();
    return {
      status: 200,
      body: {
        access_token: token,
        instance_url: url,
        id: `${url}/id/${organization.id}/005standin000001AAA`,
        token_type: 'Bearer',
        issued_at: String(Date.now()),
        scope: 'api',
        signature: createHash('sha256').update(token).digest('base64'),
      },
    };
  };

  const oauthError = (error: string, description: string): Reply => ({ status: 400, body: { error, error_description: description } });

  const token = (form: URLSearchParams, authorization: string | undefined): Reply => {
    const grantType = form.get('grant_type');
    if (grantType === 'client_credentials') {
      let id = form.get('client_id');
      let secret = form.get('client_secret');
      if (authorization?.startsWith('Basic ') === true) {
        const [basicId, basicSecret] = Buffer.from(authorization.slice(6), 'base64').toString('utf8').split(':');
        id = decodeURIComponent(basicId ?? '');
        secret = decodeURIComponent(basicSecret ?? '');
      }
      if (id !== clientId) return oauthError('invalid_client_id', 'client identifier invalid');
      if (secret !== clientSecret) return oauthError('invalid_client', 'invalid client credentials');
      return tokenReply();
    }
    if (grantType === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      const assertion = form.get('assertion') ?? '';
      const [header, payload, signature] = assertion.split('.');
      if (header === undefined || payload === undefined || signature === undefined) return oauthError('invalid_grant', 'invalid assertion');
      let claims: Record<string, unknown>;
      let jose: Record<string, unknown>;
      try {
        jose = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>;
        claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
      } catch {
        return oauthError('invalid_grant', 'invalid assertion');
      }
      if (jose.alg !== 'RS256') return oauthError('invalid_grant', 'invalid assertion');
      if (options.jwtPublicKey !== undefined) {
        const ok = verifySignature('sha256', Buffer.from(`${header}.${payload}`), options.jwtPublicKey, Buffer.from(signature, 'base64url'));
        if (!ok) return oauthError('invalid_grant', 'invalid assertion');
      }
      if (claims.iss !== clientId) return oauthError('invalid_client_id', 'client identifier invalid');
      const audiences = [url, 'https://login.salesforce.com', 'https://test.salesforce.com'];
      if (typeof claims.aud !== 'string' || !audiences.includes(claims.aud.replace(/\/$/, ''))) {
        return oauthError('invalid_grant', 'audience is invalid');
      }
      if (typeof claims.sub !== 'string' || claims.sub === '') return oauthError('invalid_grant', 'user hasn\'t approved this consumer');
      const now = Math.floor(Date.now() / 1000);
      if (typeof claims.exp !== 'number' || claims.exp <= now) return oauthError('invalid_grant', 'expired authorization code');
      return tokenReply();
    }
    return oauthError('unsupported_grant_type', 'grant type not supported');
  };

  // ---- HTTP -------------------------------------------------------------------------------------

  const send = (res: ServerResponse, reply: Reply): void => {
    if (reply.csv !== undefined) {
      res.writeHead(reply.status, { 'content-type': 'text/csv', 'content-length': Buffer.byteLength(reply.csv) }).end(reply.csv);
      return;
    }
    if (reply.status === 204 || reply.body === undefined) {
      res.writeHead(reply.status).end();
      return;
    }
    const text = JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'content-type': 'application/json;charset=UTF-8', 'content-length': Buffer.byteLength(text) }).end(text);
  };

  const readBody = async (req: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const target = new URL(req.url ?? '/', url);
    const text = await readBody(req);
    requests.push({ method, path: target.pathname });

    if (target.pathname === '/services/oauth2/token' && method === 'POST') {
      send(res, token(new URLSearchParams(text), req.headers.authorization));
      return;
    }
    if (!target.pathname.startsWith('/services/data')) {
      send(res, { status: 404, body: [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }] });
      return;
    }
    apiCalls += 1;
    if (standIn.latencyMs > 0) await delay(standIn.latencyMs);
    const jitter = nextJitter();
    if (jitter > 0) await delay(jitter);
    if (standIn.beforeRequest !== undefined) await standIn.beforeRequest({ method, path: target.pathname });
    const injected = injectedRequestFailures[0];
    if (injected !== undefined && (injected.remaining -= 1) <= 0) injectedRequestFailures.shift();
    if (injected !== undefined) {
      send(res, { status: injected.status, body: [{ message: `Injected ${injected.errorCode}`, errorCode: injected.errorCode }] });
      return;
    }
    const auth = req.headers.authorization;
    const bearer = auth?.startsWith('Bearer ') === true ? auth.slice(7) : undefined;
    if (bearer === undefined || !validTokens.has(bearer)) {
      send(res, { status: 401, body: [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }] });
      return;
    }
    // Bulk API 2.0 ingest jobs take CSV and answer CSV: routed before the JSON body is parsed.
    const ingest = /^\/services\/data\/v(\d+\.\d)\/(jobs\/ingest(?:\/.*)?)$/.exec(target.pathname);
    if (ingest !== null) {
      let reply: Reply;
      try {
        const parts = (ingest[2] as string).replace(/\/$/, '').split('/').map(decodeURIComponent);
        const answer = bulkIngest(method, parts, text, ingest[1] as string);
        reply = answer === undefined ? { status: 404, body: [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }] } : { body: undefined, ...answer };
      } catch (err) {
        if (!(err instanceof RequestFailure)) throw err;
        reply = { status: err.status, body: [{ message: err.message, errorCode: err.errorCode }] };
      }
      send(res, reply);
      return;
    }
    let body: unknown;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        send(res, { status: 400, body: [{ message: 'Unexpected character in request body', errorCode: 'JSON_PARSER_ERROR' }] });
        return;
      }
    }
    const reply = runSafely(method, target.pathname, target.searchParams, body);
    const after = nextJitter();
    if (after > 0) await delay(after);
    send(res, reply);
  };

  let jobCounter = 0;
  const bulkIngest = createBulkIngest(
    {
      objectSpec: (sobject) => userSpec(sobject),
      upsert: (sobject, spec, keyField, record) => upsertOne(sobject, spec, keyField, record),
      update: (record) => updateOne(record),
      create: (record) => createOne(record),
      newJobId: () => toEighteen(`7505g${String((jobCounter += 1)).padStart(10, '0')}`),
      userId: () => '005standin000001AAA',
    },
    { pollsInProgress: () => standIn.bulkPollsInProgress },
  );

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        send(res, { status: 500, body: [{ message: err instanceof Error ? err.message : String(err), errorCode: 'UNKNOWN_EXCEPTION' }] });
      } else {
        res.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const standIn: SalesforceStandIn = {
    get url() {
      return url;
    },
    get apiCalls() {
      return apiCalls;
    },
    get logins() {
      return logins;
    },
    latencyMs: options.latencyMs ?? 0,
    bulkPollsInProgress: 1,
    jitter: options.jitter,
    beforeRequest: undefined,
    requests,
    get organization() {
      return organization;
    },
    setOrganization(changes) {
      organization = { ...organization, ...changes };
      userSpecs.clear();
    },
    records(sobject) {
      return [...(store.get(sobject)?.values() ?? [])].map((row) => ({ ...row }));
    },
    insert(sobject, fields) {
      if (objectSpec(sobject) === undefined) throw new Error(`${sobject} is not in DATA_MODEL`);
      // A given Id (15 or 18 characters) lets seeds match ids that sample events carry.
      const given = fields.Id;
      const id = typeof given === 'string' && ID_PATTERN.test(given) ? (given.length === 15 ? toEighteen(given) : given) : newId(sobject);
      table(sobject).set(id, { ...ownedByDefault(sobject, fields), Id: id });
      return id;
    },
    purge(sobject, id) {
      const row = findById(sobject, id);
      if (row !== undefined) store.get(sobject)?.delete(row.Id);
      for (const binned of [...recycleBin.keys()]) if (binned.slice(0, 15) === id.slice(0, 15)) recycleBin.delete(binned);
    },
    recycle(sobject, id) {
      const row = findById(sobject, id);
      if (row === undefined) throw new Error(`${sobject} ${id} does not exist`);
      moveToRecycleBin(sobject, row);
    },
    issueToken,
    grantCustomPermission(userId, permission, permissionSet = 'Stripe_Bridge_Sales') {
      const one = (sobject: string, match: (row: Row) => boolean, fields: Record<string, unknown>): string =>
        [...(store.get(sobject)?.values() ?? [])].find(match)?.Id ?? standIn.insert(sobject, fields);
      const user = one('User', (r) => r.Id.slice(0, 15) === userId.slice(0, 15), { Id: userId, Name: `User ${userId}` });
      const custom = one('CustomPermission', (r) => r.DeveloperName === permission, { DeveloperName: permission, NamespacePrefix: null });
      const set = one('PermissionSet', (r) => r.Name === permissionSet, { Name: permissionSet, IsOwnedByProfile: false });
      one('SetupEntityAccess', (r) => r.ParentId === set && r.SetupEntityId === custom, { ParentId: set, SetupEntityId: custom, SetupEntityType: 'CustomPermission' });
      one('PermissionSetAssignment', (r) => r.AssigneeId === user && r.PermissionSetId === set, { AssigneeId: user, PermissionSetId: set });
    },
    expireSessions() {
      validTokens.clear();
    },
    failRecord(sobject, keyValue, errorCode, message, times = Number.POSITIVE_INFINITY) {
      injectedRecordFailures.set(`${sobject}\u0000${keyValue}`, {
        errorCode,
        message: message ?? `Injected ${errorCode}`,
        remaining: times,
      });
    },
    failNextRequests(count, status, errorCode) {
      if (count > 0) injectedRequestFailures.push({ status, errorCode, remaining: count });
    },
    clearFailures() {
      injectedRecordFailures.clear();
      injectedRequestFailures.length = 0;
      orgRules.length = 0;
    },
    addValidationRule(sobject, rule) {
      orgRules.push({ sobject, ...rule });
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      });
    },
  };
  return standIn;
}

// ---- SOQL subset ------------------------------------------------------------------------------

type AggregateFunction = 'SUM' | 'COUNT' | 'MAX' | 'MIN';

type SelectItem =
  | { readonly kind: 'field'; readonly path: readonly string[] }
  | { readonly kind: 'subquery'; readonly relationship: string; readonly query: ParsedQuery; readonly select: readonly SelectItem[] }
  | { readonly kind: 'aggregate'; readonly fn: AggregateFunction; readonly field: string; readonly alias: string | undefined };

interface Condition {
  readonly field: string;
  readonly values: readonly unknown[];
  readonly subquery?: ParsedQuery;
  /** `field != value`. */
  readonly negated?: true;
}

interface ParsedQuery {
  readonly select: readonly SelectItem[];
  readonly from: string;
  readonly where: readonly Condition[];
  readonly groupBy: readonly string[];
  readonly orderBy: { readonly field: string; readonly descending: boolean } | undefined;
  readonly limit: number | undefined;
}

/** SOQL ordering: nulls first, numbers by value, text (ISO dates and datetimes included) by character. */
function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return -1;
  if (b === undefined || b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}

function noSuchColumn(field: string, sobject: string): string {
  return `No such column '${field}' on entity '${sobject}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.`;
}

/** Splits on commas that are not inside parentheses or quotes. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (const c of text) {
    if (c === "'") quoted = !quoted;
    if (!quoted && c === '(') depth += 1;
    if (!quoted && c === ')') depth -= 1;
    if (!quoted && depth === 0 && c === ',') {
      parts.push(current.trim());
      current = '';
    } else {
      current += c;
    }
  }
  if (current.trim() !== '') parts.push(current.trim());
  return parts;
}

function parseSelectList(text: string): SelectItem[] {
  return splitTopLevel(text).map((part): SelectItem => {
    if (part.startsWith('(')) {
      if (!part.endsWith(')')) throw new RequestFailure(400, 'MALFORMED_QUERY', `unexpected token: ${part.slice(0, 40)}`);
      const query = parseSoql(part.slice(1, -1));
      return { kind: 'subquery', relationship: query.from, query, select: query.select };
    }
    // Aggregate functions ("Aggregate Functions", SOQL and SOSL Reference): SUM, COUNT, MAX, MIN
    // of a field, with an optional alias.
    const aggregate = /^(SUM|COUNT|MAX|MIN)\s*\(\s*(\w*)\s*\)(?:\s+(\w+))?$/i.exec(part);
    if (aggregate !== null) {
      return { kind: 'aggregate', fn: (aggregate[1] as string).toUpperCase() as AggregateFunction, field: aggregate[2] || 'Id', alias: aggregate[3] };
    }
    if (!/^\w+(\.\w+)?$/.test(part)) throw new RequestFailure(400, 'MALFORMED_QUERY', `unexpected token: ${part.slice(0, 40)}`);
    return { kind: 'field', path: part.split('.') };
  });
}

/** Splits a WHERE clause on the ANDs outside parentheses and quotes (a semi-join has its own). */
function splitTopLevelAnd(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === "'") quoted = !quoted;
    if (quoted) continue;
    if (c === '(') depth += 1;
    if (c === ')') depth -= 1;
    if (depth === 0 && /^\sAND\s/i.test(text.slice(i, i + 5))) {
      parts.push(text.slice(start, i).trim());
      start = i + 5;
      i += 4;
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

function parseLiteral(text: string): unknown {
  const t = text.trim();
  if (/^'.*'$/s.test(t)) return t.slice(1, -1).replace(/\\'/g, "'");
  if (/^(true|false)$/i.test(t)) return t.toLowerCase() === 'true';
  if (/^null$/i.test(t)) return null;
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  throw new RequestFailure(400, 'MALFORMED_QUERY', `unexpected token: ${t.slice(0, 40)}`);
}

function parseSoql(soql: string): ParsedQuery {
  // Find the top-level FROM (subqueries have their own FROM inside parentheses).
  const text = soql.trim();
  let depth = 0;
  let fromAt = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === '(') depth += 1;
    else if (c === ')') depth -= 1;
    else if (depth === 0 && /\s/.test(c) && /^FROM\s/i.test(text.slice(i + 1, i + 6))) {
      fromAt = i + 1;
      break;
    }
  }
  const head = /^SELECT\s+/i.exec(text);
  if (head === null || fromAt < 0) throw new RequestFailure(400, 'MALFORMED_QUERY', 'unexpected token: expected SELECT ... FROM');
  const select = parseSelectList(text.slice(head[0].length, fromAt));
  const tail = /^FROM\s+(\w+)(?:\s+WHERE\s+(.+?))?(?:\s+GROUP\s+BY\s+(.+?))?(?:\s+ORDER\s+BY\s+(\w+)(?:\s+(ASC|DESC))?(?:\s+NULLS\s+(?:FIRST|LAST))?)?(?:\s+LIMIT\s+(\d+))?\s*$/is.exec(
    text.slice(fromAt),
  );
  if (tail === null) throw new RequestFailure(400, 'MALFORMED_QUERY', 'unexpected token after FROM');
  const where = (tail[2] === undefined ? [] : splitTopLevelAnd(tail[2])).map((condition): Condition => {
    const ne = /^(\w+)\s*!=\s*(.+)$/s.exec(condition.trim());
    if (ne !== null) return { field: ne[1] as string, values: [parseLiteral(ne[2] as string)], negated: true };
    const eq = /^(\w+)\s*=\s*(.+)$/s.exec(condition.trim());
    if (eq !== null) return { field: eq[1] as string, values: [parseLiteral(eq[2] as string)] };
    const inList = /^(\w+)\s+IN\s*\((.*)\)$/is.exec(condition.trim());
    if (inList !== null && /^\s*SELECT\s/i.test(inList[2] as string)) {
      return { field: inList[1] as string, values: [], subquery: parseSoql(inList[2] as string) };
    }
    if (inList !== null) return { field: inList[1] as string, values: splitTopLevel(inList[2] as string).map(parseLiteral) };
    throw new RequestFailure(400, 'MALFORMED_QUERY', `unexpected token: ${condition.slice(0, 40)}`);
  });
  return {
    select,
    from: tail[1] as string,
    where,
    groupBy: tail[3] === undefined ? [] : splitTopLevel(tail[3]),
    orderBy: tail[4] === undefined ? undefined : { field: tail[4], descending: tail[5]?.toUpperCase() === 'DESC' },
    limit: tail[6] === undefined ? undefined : Number(tail[6]),
  };
}
