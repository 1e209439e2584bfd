/**
 * Is the Event Relay that carries Salesforce's payment requests (and commands) to AWS running?
 * Reads Salesforce's EventRelayFeedback (API 56.0+: Status, ErrorCode, ErrorMessage, ErrorTime,
 * LastRelayedEventTime, RemoteResource; developer.salesforce.com object reference) for the relay
 * whose remote resource is this deployment's partner event source. Anything but RUNNING is
 * unhealthy: a stopped or erroring relay holds events for 3 days, then they are gone.
 */
import { withSession, type SalesforceSession } from '../salesforce/session.js';

export interface RelayFeedback {
  readonly Status: string | null;
  readonly ErrorCode: string | null;
  readonly ErrorMessage: string | null;
  readonly ErrorTime: string | null;
  readonly LastRelayedEventTime: string | null;
  readonly RemoteResource: string | null;
}

export interface RelayCheck {
  /** RUNNING, STOPPED, ERROR…, NOT_FOUND (no relay for this event source), UNKNOWN (could not read). */
  readonly status: string;
  readonly healthy: boolean;
  readonly errorCode?: string | undefined;
  readonly errorMessage?: string | undefined;
  readonly errorTime?: string | undefined;
  /** Seconds since the last event was relayed, when Salesforce says. */
  readonly lastRelayedEventAgeSeconds?: number | undefined;
}

export const RELAY_RUNNING = 'RUNNING';

export function salesforceRelayFeedback(session: SalesforceSession): () => Promise<readonly RelayFeedback[]> {
  return async () => {
    const result = await withSession(session, async (connection) =>
      connection.query<RelayFeedback>('SELECT Status, ErrorCode, ErrorMessage, ErrorTime, LastRelayedEventTime, RemoteResource FROM EventRelayFeedback'),
    );
    return result.records;
  };
}

export function judgeRelay(rows: readonly RelayFeedback[], eventSourceName: string, nowMs: number): RelayCheck {
  const row = rows.find((r) => r.RemoteResource === eventSourceName);
  if (row === undefined) return { status: 'NOT_FOUND', healthy: false, errorMessage: `no Event Relay sends to ${eventSourceName}` };
  const status = row.Status ?? 'UNKNOWN';
  const last = row.LastRelayedEventTime === null ? Number.NaN : Date.parse(row.LastRelayedEventTime);
  return {
    status,
    healthy: status === RELAY_RUNNING,
    ...(row.ErrorCode === null ? {} : { errorCode: row.ErrorCode }),
    ...(row.ErrorMessage === null ? {} : { errorMessage: row.ErrorMessage.slice(0, 300) }),
    ...(row.ErrorTime === null ? {} : { errorTime: row.ErrorTime }),
    ...(Number.isNaN(last) ? {} : { lastRelayedEventAgeSeconds: Math.max(0, Math.round((nowMs - last) / 1000)) }),
  };
}
