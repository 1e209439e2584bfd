/**
 * The roll-up queue's message: the Account roll-up updates (and Task owner updates) one consumer
 * batch computed from reads that saw its writes, for the roll-up writer to write later, many
 * batches at once. Pure: mutations in, SQS bodies out, and back.
 *
 * Only what a roll-up writes is accepted back: updates by Id of Accounts (each carrying its
 * roll-up version, Stripe_Rollup_Version__c), and owner updates of the Tasks and renewal
 * Opportunities the batch created (task-owners.ts: OwnerId, and a Task's WhatId), allowed to skip
 * a deleted record. A body that is anything else is refused whole, so the queue cannot be used to
 * write other records or fields.
 */
import type { SalesforceFieldValue, SalesforceMutation } from '../contracts/salesforce-mutation.js';
import { PermanentError } from '../errors.js';
import { ROLLUP_VERSION_FIELD } from '../salesforce/data-model.js';

export const ROLLUP_MESSAGE_KIND = 'account-rollups';

/**
 * SQS takes at most 256 KiB per message (body and attributes); a body stays under 200 KiB so
 * the limit is never met. One Account update is about 700 bytes: a batch of 100 events fits in one.
 */
export const MAX_ROLLUP_BODY_BYTES = 200 * 1024;

export interface RollupMessage {
  readonly kind: typeof ROLLUP_MESSAGE_KIND;
  /** When the consumer computed the updates (ms since the epoch): breaks a tie between equal versions. */
  readonly computedAt: number;
  readonly mutations: readonly SalesforceMutation[];
}

/**
 * The bodies for these updates: one per batch, split only when one would not fit in an SQS message.
 * Each mutation is serialized once and the body's size kept as a running sum (this runs in every
 * consumer batch); a body is exactly `JSON.stringify` of its RollupMessage.
 */
export function rollupBodies(mutations: readonly SalesforceMutation[], computedAt: number, maxBytes = MAX_ROLLUP_BODY_BYTES): string[] {
  const prefix = `{"kind":${JSON.stringify(ROLLUP_MESSAGE_KIND)},"computedAt":${JSON.stringify(computedAt)},"mutations":[`;
  const suffix = ']}';
  const envelopeBytes = Buffer.byteLength(prefix) + suffix.length;
  const bodies: string[] = [];
  let parts: string[] = [];
  let bytes = envelopeBytes;
  for (const mutation of mutations) {
    const part = JSON.stringify(mutation);
    const size = Buffer.byteLength(part);
    // A part after the first comes with its comma.
    if (parts.length > 0 && bytes + 1 + size > maxBytes) {
      bodies.push(`${prefix}${parts.join(',')}${suffix}`);
      parts = [];
      bytes = envelopeBytes;
    }
    bytes += size + (parts.length > 0 ? 1 : 0);
    parts.push(part);
  }
  if (parts.length > 0) bodies.push(`${prefix}${parts.join(',')}${suffix}`);
  return bodies;
}

/** The fields an owner update may set (task-owners.ts `taskOwnerUpdates`): an Opportunity always names its Account. */
const OWNER_UPDATE_FIELDS: Readonly<Record<'Task' | 'Opportunity', readonly string[]>> = { Task: ['OwnerId', 'WhatId'], Opportunity: ['OwnerId'] };

const refused = (reason: string): PermanentError => new PermanentError(`Roll-up message refused: ${reason}`, { code: 'ROLLUP_MESSAGE_INVALID' });

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fieldValue(v: unknown): v is SalesforceFieldValue {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

function rollupMutation(v: unknown): SalesforceMutation {
  if (!isRecord(v) || !isRecord(v['key']) || !isRecord(v['fields'])) throw refused('a mutation is not an object with key and fields');
  const { sobject } = v;
  const key = v['key'];
  const fields = v['fields'];
  if (sobject !== 'Account' && sobject !== 'Task' && sobject !== 'Opportunity') throw refused(`${String(sobject)} is not written by roll-ups`);
  if (key['field'] !== 'Id' || typeof key['value'] !== 'string' || key['value'] === '') throw refused('a mutation is not an update by Id');
  if (!Object.values(fields).every(fieldValue)) throw refused('a field value is not a plain value');
  if (sobject === 'Account' && typeof fields[ROLLUP_VERSION_FIELD] !== 'number') throw refused(`an Account update has no ${ROLLUP_VERSION_FIELD}`);
  if (sobject !== 'Account') {
    const allowed = OWNER_UPDATE_FIELDS[sobject];
    if (typeof fields['OwnerId'] !== 'string' || !Object.keys(fields).every((f) => allowed.includes(f))) throw refused(`a ${sobject} update is not an owner update`);
  }
  return { sobject, key: { field: 'Id', value: key['value'] }, fields: fields as Record<string, SalesforceFieldValue>, skipIfMissing: true };
}

/** A body from the roll-up queue, checked; throws a PermanentError for anything else. */
export function readRollupMessage(body: string): RollupMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw new PermanentError('Roll-up message refused: not JSON', { code: 'ROLLUP_MESSAGE_INVALID', cause: err });
  }
  if (!isRecord(parsed) || parsed['kind'] !== ROLLUP_MESSAGE_KIND) throw refused(`kind is not ${ROLLUP_MESSAGE_KIND}`);
  const { computedAt, mutations } = parsed;
  if (typeof computedAt !== 'number' || !Number.isFinite(computedAt)) throw refused('computedAt is not a number');
  if (!Array.isArray(mutations)) throw refused('mutations is not a list');
  return { kind: ROLLUP_MESSAGE_KIND, computedAt, mutations: mutations.map(rollupMutation) };
}

/** The roll-up version an Account update carries (undefined for a Task owner update). */
export function rollupVersionOf(mutation: SalesforceMutation): number | undefined {
  const version = mutation.sobject === 'Account' ? mutation.fields[ROLLUP_VERSION_FIELD] : undefined;
  return typeof version === 'number' ? version : undefined;
}
