/**
 * Reads the consumer's and the ingress's own log lines (one JSON line per outcome) as they are
 * written, so the local views can say *why* an event was stale, skipped, retried or rejected
 * without the cores knowing about the views. The lines still reach the terminal unchanged.
 */
import type { DestinationStream } from 'pino';

/** The fields of an outcome line the views use; all optional, the cores own the format. */
export interface OutcomeLine {
  readonly msg: string;
  readonly eventId?: string;
  readonly eventType?: string;
  readonly messageId?: string;
  readonly requestId?: string;
  readonly outcome?: string;
  readonly note?: string;
  readonly reason?: string;
  readonly errorCode?: string;
  readonly staleRecords?: readonly string[];
  readonly records?: readonly string[];
  readonly details?: Readonly<Record<string, unknown>>;
}

/** A destination that forwards every line and hands outcome lines (with an `outcome`) to `observe`. */
export function observingDestination(target: DestinationStream, observe: (line: OutcomeLine) => void): DestinationStream {
  return {
    write(chunk: string) {
      target.write(chunk);
      for (const text of chunk.split('\n')) {
        if (!text.includes('"outcome"')) continue;
        try {
          const line = JSON.parse(text) as OutcomeLine;
          if (typeof line.outcome === 'string') observe(line);
        } catch {
          // Not a JSON line: nothing to observe.
        }
      }
    },
  };
}
