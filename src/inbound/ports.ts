/**
 * What the consumer core needs from the outside world. The handler wires the real adapters;
 * tests and the local stack wire the same adapters against local services.
 */
import type { Logger } from '../logging.js';
import type { BridgeError } from '../errors.js';
import type { ReadAfterWrite, ReadAnswer, SalesforceMutation } from '../contracts/salesforce-mutation.js';
import type { AccountRollups } from '../rollups/account-rollups.js';
import type { RollupSink } from '../rollups/rollup-queue.js';
import type { IdempotencyStore } from '../dedup/run-once.js';
import type { MapResult } from '../mappers/mutation.js';
import type { MessageFailure, ReceivedAttribute } from '../ingress/inbound-message.js';
import type { RetryPort } from '../resilience/retry-later.js';
import type { CasePorts } from './case-follow-up.js';
import type { RenewalTaskPorts } from './renewal-tasks.js';

/** One SQS message as the consumer sees it (from the Lambda event or the local queue). */
export interface InboundRecord {
  readonly messageId: string;
  readonly body: string;
  /** ApproximateReceiveCount: 1 on the first delivery. */
  readonly receiveCount: number;
  readonly messageAttributes: Readonly<Record<string, ReceivedAttribute | undefined>>;
  /** SQS SentTimestamp (ms since the epoch): the retry horizon counts from here. */
  readonly sentAt?: number | undefined;
  /** Lets a retry be delayed (ChangeMessageVisibility); absent in tests that need no backoff. */
  readonly receiptHandle?: string | undefined;
}

/** The envelope facts the core needs, after schema validation. */
export interface EventEnvelope {
  readonly id: string;
  readonly type: string;
  readonly created: number;
  readonly livemode: boolean;
  readonly apiVersion: string | null;
}

export interface InterpretedEvent {
  readonly envelope: EventEnvelope;
  readonly result: MapResult;
}

/** The idempotency store the consumer's lifecycle runs on (dedup/run-once.ts). */
export type EventStorePort = IdempotencyStore;

export interface WrittenRecordRef {
  readonly sobject: string;
  readonly id: string | undefined;
  /** The key the record was written on (its external id, or Id). */
  readonly keyValue?: string;
  /** Salesforce created it (an upsert that found no record). */
  readonly created?: boolean | undefined;
  /** Not written: Salesforce holds a newer state for the record. */
  readonly stale?: true;
}

export type WriteOutcome =
  | { readonly ok: true; readonly records: readonly WrittenRecordRef[] }
  | { readonly ok: false; readonly error: BridgeError; readonly records: readonly WrittenRecordRef[] };

export interface SalesforceWritePort {
  write(
    items: readonly { readonly correlationId: string; readonly mutations: readonly SalesforceMutation[] }[],
    options?: { readonly reads?: readonly ReadAfterWrite[] },
  ): Promise<{ readonly outcomes: ReadonlyMap<string, WriteOutcome>; readonly apiCalls: number; readonly reads?: ReadonlyMap<string, ReadAnswer> }>;
}

/** What the consumer records on a message it dead-letters (the roll-up writer records the same). */
export type DeadLetterFailure = MessageFailure;

export interface ConsumerPorts {
  readonly store: EventStorePort;
  readonly writer: SalesforceWritePort;
  /** Validates the event JSON and maps it (pure); throws a PermanentError on a bad shape. */
  readonly interpret: (json: unknown) => InterpretedEvent;
  /**
   * Completes an event with what Stripe sends only as an id (the charge of a dispute), before it
   * is interpreted; returns the JSON unchanged when there is nothing to add.
   */
  readonly expand: (json: unknown) => Promise<unknown>;
  /** Fetches an event that travelled as a reference (too large for SQS) from Stripe's API. */
  readonly fetchEvent: (eventId: string) => Promise<string>;
  /** Sends a message to the dead-letter queue with its reason. */
  readonly deadLetter: (record: InboundRecord, failure: DeadLetterFailure) => Promise<void>;
  readonly logger: Logger;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  readonly maxReceiveCount: number;
  /** Retry with backoff until the horizon, or dead-letter (src/resilience/retry-schedule.ts). */
  readonly retry: RetryPort;
  /**
   * Failed-payment Tasks (src/mappers/recovery-task.ts): off drops them; an owner id is set on
   * each; absent or without an owner, the Account's owner gets them (src/inbound/task-owners.ts).
   */
  readonly tasks?: { readonly enabled: boolean; readonly ownerId: string | undefined } | undefined;
  /**
   * The onboarding Task of an Account's first successful payment (src/inbound/onboarding.ts);
   * absent: off. `known`: customers this execution environment saw onboarded (no more claims).
   */
  readonly onboarding?: { readonly enabled: boolean; readonly known: Set<string> } | undefined;
  /** Recomputes the Accounts a batch touched (src/rollups); absent: roll-ups are off. */
  readonly rollups?: AccountRollups | undefined;
  /**
   * Where the roll-up's Account and Task owner updates go (ROLLUP_WRITES=queued): the roll-up
   * queue, written by the roll-up writer for many batches at once. Absent: written inline, in one
   * more request of this batch.
   */
  readonly rollupSink?: RollupSink | undefined;
  /**
   * Closes the failure Cases whose money arrived (case-follow-up.ts). Without it (the backfill of
   * history) Cases are still not opened for what Salesforce already shows paid, but none is closed.
   */
  readonly cases?: CasePorts | undefined;
  /** Renewal and trial-end Tasks (renewal-tasks.ts); absent: RENEWAL_TASKS=off. */
  readonly renewals?: RenewalTaskPorts | undefined;
}
