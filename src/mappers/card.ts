/** Card data allowed into Salesforce: the brand and the last four digits, nothing else. */
import type { Fields } from './records.js';

interface CardDetails {
  readonly card?: { readonly brand?: string | null | undefined; readonly last4?: string | null | undefined } | null | undefined;
}

export function cardFields(details: CardDetails | null | undefined): Fields {
  const card = details?.card;
  if (card === null || card === undefined) return {};
  const last4 = card.last4 ?? undefined;
  return {
    Card_Brand__c: card.brand ? card.brand.slice(0, 40) : undefined,
    // Anything but exactly four digits is not what the field is for: leave it out.
    Card_Last4__c: last4 !== undefined && /^\d{4}$/.test(last4) ? last4 : undefined,
  };
}
