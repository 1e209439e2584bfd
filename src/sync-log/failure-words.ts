/**
 * Why an event failed, in words a Salesforce admin can act on: what refused it and what to do
 * before retrying. Decided by the error code (the taxonomy's `SALESFORCE_<statusCode>` and the
 * bridge's own codes), never by message text; Salesforce's own message is quoted as it came.
 */

const ADVICE: ReadonlyArray<readonly [RegExp, (reason: string) => string]> = [
  [
    /^SALESFORCE_FIELD_CUSTOM_VALIDATION_EXCEPTION$/,
    (r) => `A validation rule in Salesforce refused the change (${r}). Adjust the rule or the record it names, then retry.`,
  ],
  [
    /^SALESFORCE_(INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST|BAD_VALUE_FOR_RESTRICTED_PICKLIST)$/,
    (r) => `A picklist in Salesforce does not allow the value the bridge writes (${r}). Deploy the bridge's package (it adds the values), then retry.`,
  ],
  [
    /^SALESFORCE_(INVALID_FIELD|INVALID_FIELD_FOR_INSERT_UPDATE|INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY|INSUFFICIENT_ACCESS_OR_READONLY|INVALID_TYPE|NOT_FOUND)$/,
    (r) =>
      `The bridge's integration user cannot write a field or record (${r}). Deploy the bridge's package and assign the Stripe Bridge Integration permission set to that user, then retry.`,
  ],
  [/^SALESFORCE_REQUIRED_FIELD_MISSING$/, (r) => `A field Salesforce requires was empty (${r}). Make the field optional for the integration user (or give it a default), then retry.`],
  [/^SALESFORCE_DUPLICATE_VALUE$/, (r) => `Another record already holds a value that must be unique (${r}). Remove or merge the duplicate, then retry.`],
  [/^SALESFORCE_(ENTITY_IS_LOCKED|UNABLE_TO_LOCK_ROW)$/, (r) => `The record is locked in Salesforce (${r}), for instance by an approval. Unlock it, then retry.`],
  [/^SALESFORCE_(STRING_TOO_LONG|NUMBER_OUTSIDE_VALID_RANGE)$/, (r) => `A value does not fit its Salesforce field (${r}). Widen the field, then retry.`],
  [/^SALESFORCE_CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY$/, (r) => `An Apex trigger or Flow on the record failed (${r}). Fix the automation, then retry.`],
  [
    /^EVENT_(SCHEMA_INVALID|INVALID|NOT_JSON)$/,
    (r) => `Stripe sent this event in a shape the bridge does not understand (${r}). Check the webhook endpoint's API version (see the bridge's deployment guide); retrying will not help until the bridge is updated.`,
  ],
];

/** The message of a Stripe_Sync_Log__c record for a failed inbound event. */
export function failureInWords(code: string, reason: string): string {
  const quoted = reason.trim() === '' ? code : reason.trim();
  for (const [pattern, advise] of ADVICE) if (pattern.test(code)) return advise(quoted);
  return `The bridge could not apply this Stripe event: ${quoted} (${code}). Fix the cause, then retry.`;
}
