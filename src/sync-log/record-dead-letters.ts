/**
 * Wraps the consumer's dead-letter port: after the DLQ accepted the message, the event is
 * remembered in the dead-letter log (what it was about, the reason in words) so that a
 * Stripe_Sync_Log__c record shows it in Salesforce and the reconciler leaves it alone. The DLQ
 * send is what counts: a log that cannot be written is a warning, never a lost event.
 */
import { errorCode } from '../errors.js';
import type { ReceivedAttribute } from '../ingress/inbound-message.js';
import type { Logger } from '../logging.js';
import type { DeadLetterLog } from './dead-letter-log.js';
import { eventAbout } from './event-about.js';
import { failureInWords } from './failure-words.js';

/** The consumer's dead-letter port, as far as this wrapper needs it (structurally ConsumerPorts['deadLetter']). */
export type DeadLetterPort<R extends DeadLetteredRecord, F extends DeadLetterReason> = (record: R, failure: F) => Promise<void>;

export interface DeadLetteredRecord {
  readonly body: string;
  readonly messageAttributes: Readonly<Record<string, ReceivedAttribute | undefined>>;
}

export interface DeadLetterReason {
  readonly code: string;
  readonly reason: string;
  readonly failedAt: Date;
}

export function recordingDeadLetters<R extends DeadLetteredRecord, F extends DeadLetterReason>(
  deadLetter: DeadLetterPort<R, F>,
  log: DeadLetterLog,
  logger: Logger,
): DeadLetterPort<R, F> {
  return async (record, failure) => {
    await deadLetter(record, failure);
    const about = eventAbout(record.body, record.messageAttributes);
    if (about.eventId === '') return;
    try {
      await log.record({ ...about, code: failure.code, reason: failure.reason, message: failureInWords(failure.code, failure.reason), failedAt: failure.failedAt.getTime() });
    } catch (err) {
      logger.warn({ eventId: about.eventId, errorCode: errorCode(err) }, 'dead-lettered event not recorded for its Salesforce sync log');
    }
  };
}
