/**
 * Writes the Stripe_Sync_Log__c records of open dead-lettered events (the housekeeping run, every
 * few minutes): Failed with the reason in words, Pending once a retry enqueued the event again,
 * Succeeded once the dedup table shows it completed (after a retry or a DLQ replay); then the
 * event leaves the outbox. One batched Salesforce write per run; a record is written only when its
 * status changes.
 */
import type { SyncLogStatus } from '../contracts/statuses.js';
import type { SalesforceMutation } from '../contracts/salesforce-mutation.js';
import { errorCode } from '../errors.js';
import type { Logger } from '../logging.js';
import type { SalesforceWriter } from '../salesforce/writer.js';
import { stripeDashboardPage } from '../stripe/dashboard.js';
import type { DeadLetterLog, DeadLetterMarker } from './dead-letter-log.js';

/** What a dead-lettered Stripe event is in the log's Command__c (the command channel uses its own). */
export const INBOUND_EVENT_COMMAND = 'inbound_event';

export interface FlushPorts {
  readonly log: DeadLetterLog;
  readonly writer: Pick<SalesforceWriter, 'write'>;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  readonly logger: Logger;
}

export interface FlushResult {
  readonly open: number;
  readonly written: number;
  readonly resolved: number;
  readonly failedWrites: number;
  readonly salesforceApiCalls: number;
}

/** Records per run: one Composite call carries up to 1,000. */
const MAX_PER_RUN = 1000;

const iso = (ms: number): string => new Date(ms).toISOString();

export function syncLogMutation(marker: DeadLetterMarker, status: SyncLogStatus, completedAt: number | undefined): SalesforceMutation {
  const about = marker.records.length === 0 ? '' : `\n\nWhat it was about: ${marker.records.join(', ')}.`;
  const message =
    status === 'Succeeded'
      ? `Applied on ${iso(completedAt ?? marker.failedAt)} after it had failed: ${marker.message}${about}`
      : status === 'Pending'
        ? `Retry requested on ${iso(marker.retriedAt ?? marker.failedAt)}: the event was fetched again from Stripe and is being applied. It had failed: ${marker.message}${about}`
        : `${marker.message}${about}\n\nRetry: fix the cause, then ask for a retry (stripe-sf-bridge retry ${marker.eventId}).`;
  const fields: Record<string, string | null> = {
    Event_Type__c: marker.eventType,
    Command__c: INBOUND_EVENT_COMMAND,
    Stripe_Url__c: stripeDashboardPage('events', marker.eventId, marker.livemode),
    Status__c: status,
    Message__c: message.slice(0, 32_000),
    Requested_At__c: marker.created > 0 ? iso(marker.created * 1000) : null,
    Completed_At__c: status === 'Succeeded' ? iso(completedAt ?? marker.failedAt) : status === 'Failed' ? iso(marker.failedAt) : null,
  };
  if (marker.objectId !== undefined) fields['Stripe_Object_Id__c'] = marker.objectId;
  if (marker.recordId !== undefined) fields['Record_Id__c'] = marker.recordId;
  if (marker.requestedBy !== undefined) fields['Requested_By__c'] = marker.requestedBy;
  return {
    sobject: 'Stripe_Sync_Log__c',
    key: { field: 'Event_Id__c', value: marker.eventId },
    fields,
    // A requester who left the org must not keep the log from being written.
    ...(marker.requestedBy === undefined ? {} : { optionalReferences: ['Requested_By__c'] }),
  };
}

export async function flushSyncLogs(ports: FlushPorts): Promise<FlushResult> {
  const ids = (await ports.log.open()).slice(0, MAX_PER_RUN);
  if (ids.length === 0) return { open: 0, written: 0, resolved: 0, failedWrites: 0, salesforceApiCalls: 0 };
  const [markers, completed] = await Promise.all([ports.log.read(ids), ports.log.completed(ids)]);
  // Markers expire with the DLQ's retention: nothing left to show.
  const gone = ids.filter((id) => !markers.has(id));

  const wanted = new Map<string, SyncLogStatus>();
  const items: Array<{ correlationId: string; mutations: SalesforceMutation[] }> = [];
  for (const marker of markers.values()) {
    const completedAt = completed.get(marker.eventId);
    const status: SyncLogStatus = completedAt !== undefined ? 'Succeeded' : marker.state === 'retried' ? 'Pending' : 'Failed';
    if (marker.loggedStatus === status) continue;
    wanted.set(marker.eventId, status);
    items.push({ correlationId: marker.eventId, mutations: [syncLogMutation(marker, status, completedAt)] });
  }
  // Succeeded and already logged so: nothing left to write, leave the outbox.
  const settled = [...markers.values()].filter((m) => m.loggedStatus === 'Succeeded').map((m) => m.eventId);

  let written = 0;
  let failedWrites = 0;
  let apiCalls = 0;
  const resolved: string[] = [...settled];
  if (items.length > 0) {
    const result = await ports.writer.write(items);
    apiCalls = result.apiCalls;
    for (const [eventId, outcome] of result.outcomes) {
      if (!outcome.ok) {
        failedWrites += 1;
        ports.logger.warn({ eventId, errorCode: errorCode(outcome.error) }, 'could not write the Stripe_Sync_Log__c record; the next run tries again');
        continue;
      }
      written += 1;
      const status = wanted.get(eventId) as SyncLogStatus;
      await ports.log.setLogged(eventId, status);
      if (status === 'Succeeded') resolved.push(eventId);
    }
  }
  await ports.log.close([...gone, ...resolved]);
  return { open: ids.length, written, resolved: resolved.length, failedWrites, salesforceApiCalls: apiCalls };
}
