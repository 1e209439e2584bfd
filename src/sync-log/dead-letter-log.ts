/**
 * Dead-lettered inbound events, remembered in the dedup table (`deadletter#<eventId>`) so that
 * the reconciler does not enqueue an event that is waiting in the DLQ.
 */
export const DEAD_LETTER_PREFIX = 'deadletter#';
