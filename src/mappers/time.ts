/** Stripe sends seconds since the epoch; Salesforce wants ISO 8601 datetimes and dates. */

/** `1767225600` → `2026-01-01T00:00:00.000Z`. */
export function isoDateTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

/** `1767225600` → `2026-01-01`: the UTC calendar date, as a Salesforce date field expects. */
export function isoDate(seconds: number): string {
  return isoDateTime(seconds).slice(0, 10);
}

export function isoDateTimeOrNull(seconds: number | null | undefined): string | null {
  return seconds === null || seconds === undefined ? null : isoDateTime(seconds);
}
