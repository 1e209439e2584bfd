/**
 * The list side of the Stripe stand-in: the event log and the object lists the reconciler, the
 * backfill and the drift report read, paged and filtered as Stripe documents them.
 *
 * - Lists are newest first (`created` descending; objects created in the same second keep their
 *   insertion order), `limit` 1–100 (default 10), `{ object: 'list', data, has_more, url }`.
 * - `starting_after=X` returns the objects right after X (older); `ending_before=X` the objects
 *   right before X (newer), still newest first within the page, `has_more` telling whether more
 *   newer ones exist (stripe-node's auto-pagination reads it so when it pages backwards).
 * - `created` is a timestamp or a range `created[gt|gte|lt|lte]`.
 * - Events: `type` (a `*` wildcard allowed) or `types[]` (at most 20, not both), and only the last
 *   30 days ("List events, going back up to 30 days": stripe-node's `EventListParams` docs).
 * - Subscriptions: canceled ones only with `status=canceled` or `status=all` (Stripe's default
 *   list leaves them out).
 * - `expand[]=data.<field>` (lists) and `expand[]=<field>` (retrieve) replace an id by the object
 *   when the stand-in holds it.
 */
import type Stripe from 'stripe';

type Json = Record<string, any>;

export type Permission = 'read' | 'write';

export const LISTED_RESOURCES = [
  'customers',
  'products',
  'invoices',
  'subscriptions',
  'payment_intents',
  'charges',
  'refunds',
  'disputes',
] as const;
export type ListedResource = (typeof LISTED_RESOURCES)[number];

/** Stripe's restricted-key permission names per resource (`rak_<name>_read|write`). */
const PERMISSION_NAMES: Readonly<Record<string, string>> = {
  customers: 'customer',
  products: 'product',
  prices: 'price',
  invoices: 'invoice',
  invoiceitems: 'invoice',
  subscriptions: 'subscription',
  payment_intents: 'payment_intent',
  payment_links: 'payment_link',
  checkout: 'checkout_session',
  charges: 'charge',
  refunds: 'refund',
  disputes: 'dispute',
  events: 'event',
};

/** The permission a request needs: GET reads, POST and DELETE write. */
export function requiredPermission(method: string, path: string): { readonly resource: string; readonly access: Permission } | undefined {
  const resource = path.split('/').filter((p) => p !== '')[1];
  const name = resource === undefined ? undefined : PERMISSION_NAMES[resource];
  if (name === undefined) return undefined;
  return { resource: name, access: method === 'GET' ? 'read' : 'write' };
}

export interface ObjectLists {
  /** Adds (or replaces, by id) an object as if Stripe held it. `created` defaults to the clock. */
  seed(resource: ListedResource, object: Json): Json;
  /** Changes fields of a held object (as an update in Stripe would). */
  update(resource: ListedResource, id: string, fields: Json): Json;
  get(resource: ListedResource, id: string): Json | undefined;
  /** Appends an event to the log GET /v1/events lists (registerEvent does it too). */
  logEvent(event: Stripe.Event): void;
  /** Every logged event, oldest first. */
  events(): Stripe.Event[];
  /** Answers a GET it serves, or undefined to let the caller route it. */
  route(resource: string, objectId: string | undefined, action: string | undefined, params: Json, nowSeconds: number): Json | undefined;
}

export interface ObjectListsOptions {
  /** The stand-in's own stores, shared so that created and seeded objects are one list. */
  readonly customers: Map<string, Json>;
  readonly invoices: Map<string, Json>;
  readonly charges: Map<string, unknown>;
  readonly events: Map<string, Stripe.Event>;
  readonly url: () => string;
  readonly invalid: (message: string, param?: string, code?: string) => never;
  readonly notFound: (kind: string, id: string) => never;
  /** Seconds since the epoch. */
  readonly now: () => number;
}

const EVENT_RETENTION_SECONDS = 30 * 86_400;
const MAX_TYPES = 20;

/** Which store holds an id, by Stripe's prefix (for expansion). */
const PREFIXES: ReadonlyArray<readonly [string, ListedResource]> = [
  ['cus_', 'customers'],
  ['prod_', 'products'],
  ['in_', 'invoices'],
  ['sub_', 'subscriptions'],
  ['pi_', 'payment_intents'],
  ['ch_', 'charges'],
  ['py_', 'charges'],
  ['re_', 'refunds'],
  ['dp_', 'disputes'],
  ['du_', 'disputes'],
];

interface Entry {
  readonly seq: number;
  readonly created: number;
  readonly id: string;
}

export function createObjectLists(options: ObjectListsOptions): ObjectLists {
  const stores: Record<ListedResource, Map<string, Json>> = {
    customers: options.customers,
    products: new Map(),
    invoices: options.invoices,
    subscriptions: new Map(),
    payment_intents: new Map(),
    charges: options.charges as Map<string, Json>,
    refunds: new Map(),
    disputes: new Map(),
  };
  /** Order of first appearance of each id (for same-second ties), per store and for events. */
  const sequence = new Map<string, number>();
  let nextSeq = 0;
  const seqOf = (id: string): number => {
    let seq = sequence.get(id);
    if (seq === undefined) {
      seq = nextSeq++;
      sequence.set(id, seq);
    }
    return seq;
  };
  /** The event log, oldest first; kept sorted as events arrive (almost always at the end). */
  const log: Entry[] = [];

  const integer = (value: unknown, param: string): number => {
    if (typeof value === 'number' && Number.isInteger(value)) return value;
    if (typeof value !== 'string' || !/^-?\d+$/.test(value)) return options.invalid(`Invalid integer: ${String(value)}`, param, 'parameter_invalid_integer');
    return Number(value);
  };

  const createdFilter = (params: Json): ((created: number) => boolean) => {
    const created = params['created'];
    if (created === undefined) return () => true;
    if (typeof created === 'string') {
      const exact = integer(created, 'created');
      return (c) => c === exact;
    }
    const bounds = created as Json;
    const gt = bounds['gt'] === undefined ? undefined : integer(bounds['gt'], 'created[gt]');
    const gte = bounds['gte'] === undefined ? undefined : integer(bounds['gte'], 'created[gte]');
    const lt = bounds['lt'] === undefined ? undefined : integer(bounds['lt'], 'created[lt]');
    const lte = bounds['lte'] === undefined ? undefined : integer(bounds['lte'], 'created[lte]');
    return (c) => (gt === undefined || c > gt) && (gte === undefined || c >= gte) && (lt === undefined || c < lt) && (lte === undefined || c <= lte);
  };

  const listOf = (value: unknown): string[] => {
    if (value === undefined) return [];
    if (Array.isArray(value)) return value.map(String);
    if (typeof value === 'object' && value !== null) return Object.values(value as Json).map(String);
    return [String(value)];
  };

  const find = (id: string): Json | undefined => {
    for (const [prefix, resource] of PREFIXES) if (id.startsWith(prefix)) return stores[resource].get(id);
    return undefined;
  };

  const expand = (object: Json, fields: readonly string[]): Json => {
    if (fields.length === 0) return object;
    const copy: Json = { ...object };
    for (const field of fields) {
      const value = copy[field];
      if (typeof value !== 'string') continue;
      const found = find(value);
      if (found !== undefined) copy[field] = structuredClone(found);
    }
    return copy;
  };

  /** Newest first, then the page around the cursor. `entries` are oldest first. */
  const page = (listUrl: string, entries: readonly Entry[], keep: (entry: Entry) => boolean, params: Json, render: (entry: Entry) => Json): Json => {
    const limit = params['limit'] === undefined ? 10 : integer(params['limit'], 'limit');
    if (limit < 1 || limit > 100) options.invalid('This value must be between 1 and 100.', 'limit');
    const after = params['starting_after'] as string | undefined;
    const before = params['ending_before'] as string | undefined;
    if (after !== undefined && before !== undefined) options.invalid('You may only specify one of these parameters: ending_before, starting_after.');
    const cursor = after ?? before;
    const newestFirst = [...entries].reverse();
    let position = -1;
    if (cursor !== undefined) {
      position = newestFirst.findIndex((e) => e.id === cursor);
      if (position < 0) options.invalid(`No such object: '${cursor}'`, after !== undefined ? 'starting_after' : 'ending_before', 'resource_missing');
    }
    if (before !== undefined) {
      // The `limit` matching entries right before the cursor (newer), nearest last in the page.
      const newer = newestFirst.slice(0, position).filter(keep);
      const data = newer.slice(Math.max(0, newer.length - limit));
      return { object: 'list', data: data.map(render), has_more: newer.length > data.length, url: listUrl };
    }
    const older = newestFirst.slice(position + 1).filter(keep);
    const data = older.slice(0, limit);
    return { object: 'list', data: data.map(render), has_more: older.length > limit, url: listUrl };
  };

  const entriesOf = (resource: ListedResource): Entry[] =>
    [...stores[resource].values()]
      .map((o) => ({ seq: seqOf(o.id as string), created: o.created as number, id: o.id as string }))
      .sort((a, b) => a.created - b.created || a.seq - b.seq);

  const expandedFields = (params: Json, prefix: string): string[] =>
    listOf(params['expand'])
      .filter((path) => path.startsWith(prefix))
      .map((path) => path.slice(prefix.length))
      .filter((field) => field !== '' && !field.includes('.'));

  /** Filters each resource documents beyond `created` (the ones the bridge uses). */
  const resourceFilter = (resource: ListedResource, params: Json): ((object: Json) => boolean) => {
    const equal = (field: string) => (params[field] === undefined ? () => true : (o: Json) => idOf(o[field]) === params[field]);
    const checks: Array<(o: Json) => boolean> = [];
    if (['invoices', 'subscriptions', 'payment_intents', 'charges'].includes(resource)) checks.push(equal('customer'));
    if (['charges', 'refunds', 'disputes'].includes(resource)) checks.push(equal('payment_intent'));
    if (['refunds', 'disputes'].includes(resource)) checks.push(equal('charge'));
    if (resource === 'invoices') checks.push(equal('status'));
    if (resource === 'subscriptions') {
      const status = params['status'] as string | undefined;
      if (status === undefined) checks.push((o) => o.status !== 'canceled');
      else if (status !== 'all') checks.push((o) => o.status === status);
    }
    return (o) => checks.every((check) => check(o));
  };

  const eventTypeFilter = (params: Json): ((type: string) => boolean) => {
    const types = listOf(params['types']);
    const type = params['type'] as string | undefined;
    if (type !== undefined && types.length > 0) options.invalid('You may pass either type or types, but not both.', 'types');
    if (types.length > MAX_TYPES) options.invalid(`You may pass at most ${MAX_TYPES} types.`, 'types');
    if (types.length > 0) return (t) => types.includes(t);
    if (type === undefined) return () => true;
    if (type.endsWith('*')) return (t) => t.startsWith(type.slice(0, -1));
    return (t) => t === type;
  };

  const lists: ObjectLists = {
    seed(resource, object) {
      const stored: Json = { created: options.now(), livemode: false, metadata: {}, ...structuredClone(object) };
      if (typeof stored.id !== 'string') throw new Error(`seed(${resource}): the object needs an id`);
      seqOf(stored.id);
      stores[resource].set(stored.id, stored);
      return structuredClone(stored);
    },
    update(resource, id, fields) {
      const stored = stores[resource].get(id);
      if (stored === undefined) throw new Error(`update(${resource}): no ${id}`);
      Object.assign(stored, structuredClone(fields));
      return structuredClone(stored);
    },
    get(resource, id) {
      const stored = stores[resource].get(id);
      return stored === undefined ? undefined : structuredClone(stored);
    },
    logEvent(event) {
      const entry: Entry = { seq: seqOf(event.id), created: event.created, id: event.id };
      const existing = log.findIndex((e) => e.id === event.id);
      if (existing >= 0) log.splice(existing, 1);
      let at = log.length;
      while (at > 0 && (log[at - 1] as Entry).created > entry.created) at -= 1;
      log.splice(at, 0, entry);
    },
    events() {
      return log.map((e) => structuredClone(options.events.get(e.id) as Stripe.Event));
    },
    route(resource, objectId, action, params, nowSeconds) {
      if (action !== undefined) return undefined;
      if (resource === 'events') {
        if (objectId !== undefined) return undefined;
        const typeOk = eventTypeFilter(params);
        const createdOk = createdFilter(params);
        const oldest = nowSeconds - EVENT_RETENTION_SECONDS;
        const visible = log.filter((e) => e.created >= oldest);
        return page(
          '/v1/events',
          visible,
          (e) => createdOk(e.created) && typeOk((options.events.get(e.id) as Stripe.Event).type),
          params,
          (e) => structuredClone(options.events.get(e.id) as unknown as Json),
        );
      }
      if (!(LISTED_RESOURCES as readonly string[]).includes(resource)) return undefined;
      const store = stores[resource as ListedResource];
      if (objectId !== undefined) {
        // Retrieve (customers, invoices and charges keep their own routes for what tests register).
        if (['customers', 'invoices', 'charges'].includes(resource)) return undefined;
        const found = store.get(objectId);
        if (found === undefined) return options.notFound(resource.replace(/s$/, ''), objectId);
        return expand(structuredClone(found), expandedFields(params, ''));
      }
      const createdOk = createdFilter(params);
      const matches = resourceFilter(resource as ListedResource, params);
      const fields = expandedFields(params, 'data.');
      // An invoice's `payments` is includable only (docs.stripe.com/api/invoice-payment/list).
      const hidden = resource === 'invoices' && !fields.includes('payments') ? ['payments'] : [];
      return page(
        `/v1/${resource}`,
        entriesOf(resource as ListedResource),
        (e) => createdOk(e.created) && matches(store.get(e.id) as Json),
        params,
        (e) => {
          const object = expand(structuredClone(store.get(e.id) as Json), fields);
          for (const field of hidden) delete object[field];
          return object;
        },
      );
    },
  };
  return lists;
}

function idOf(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? (value as Json)['id'] : value;
}
