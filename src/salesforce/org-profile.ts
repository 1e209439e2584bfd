/**
 * What the bridge knows about the Salesforce org it serves, read once per cold start:
 * - its id and whether it is a sandbox (`Organization`), so that events of another org are
 *   refused and a sandbox (a fresh copy of production, with production's settings) never bills
 *   with a live Stripe key;
 * - its currencies: a multi-currency org has `CurrencyIsoCode` on Opportunity (its describe says
 *   so); a single-currency org bills in `Organization.DefaultCurrencyIsoCode`.
 *
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_organization.htm
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_describe.htm
 */
import * as z from 'zod/mini';
import type { CurrencyOverrides } from '../config.js';
import { PermanentError } from '../errors.js';
import { withSession, type SalesforceSession } from './session.js';

export interface OrgProfile {
  /** The 18-character Organization id. */
  readonly organizationId: string;
  readonly isSandbox: boolean;
  /** Records carry `CurrencyIsoCode` (multi-currency enabled). */
  readonly multiCurrency: boolean;
  /** Lower-case ISO 4217 code of the corporate currency. */
  readonly corporateCurrency: string;
}

/** What money written to records depends on: the roll-ups' conversions, a renewal Opportunity's Amount. */
export type OrgCurrencies = Pick<OrgProfile, 'multiCurrency' | 'corporateCurrency'>;

export const ORGANIZATION_QUERY = 'SELECT Id, DefaultCurrencyIsoCode, IsSandbox FROM Organization LIMIT 1';

const organizationSchema = z.object({
  Id: z.string().check(z.regex(/^00D[a-zA-Z0-9]{12}(?:[a-zA-Z0-9]{3})?$/)),
  DefaultCurrencyIsoCode: z.nullish(z.string().check(z.regex(/^[A-Za-z]{3}$/))),
  IsSandbox: z.nullish(z.boolean()),
});

const describeSchema = z.object({ fields: z.array(z.object({ name: z.string() })) });

/** Reads the profile through the session: one query, plus one describe unless the deployment overrides multi-currency. */
export async function readOrgProfile(
  session: SalesforceSession,
  overrides: CurrencyOverrides,
  count: () => void = () => {},
): Promise<OrgProfile> {
  const [organization, multiCurrency] = await Promise.all([
    withSession(session, async (connection) => {
      count();
      return connection.query<Record<string, unknown>>(ORGANIZATION_QUERY);
    }),
    overrides.multiCurrency ??
      withSession(session, async (connection) => {
        count();
        return connection.sobject('Opportunity').describe();
      }).then((describe) => {
        const parsed = describeSchema.safeParse(describe);
        if (!parsed.success) throw new PermanentError('Unexpected describe result for Opportunity', { code: 'SALESFORCE_DESCRIBE_SHAPE' });
        return parsed.data.fields.some((f) => f.name === 'CurrencyIsoCode');
      }),
  ]);
  const parsed = organizationSchema.safeParse(organization.records[0]);
  if (!parsed.success) {
    throw new PermanentError('The Organization query returned no usable row (Id, DefaultCurrencyIsoCode, IsSandbox)', {
      code: 'SALESFORCE_ORGANIZATION_SHAPE',
    });
  }
  const corporate = overrides.defaultCurrency ?? parsed.data.DefaultCurrencyIsoCode?.toLowerCase();
  if (corporate === undefined) {
    throw new PermanentError('The org reports no DefaultCurrencyIsoCode; set STRIPE_DEFAULT_CURRENCY', { code: 'CORPORATE_CURRENCY_UNKNOWN' });
  }
  return {
    organizationId: parsed.data.Id,
    isSandbox: parsed.data.IsSandbox === true,
    multiCurrency,
    corporateCurrency: corporate,
  };
}

/**
 * Once per execution environment: concurrent first callers share one read; a failed read is
 * forgotten so the next request tries again (an outage at cold start must not stick).
 */
export function cachedOrgProfile(read: () => Promise<OrgProfile>): () => Promise<OrgProfile> {
  let pending: Promise<OrgProfile> | undefined;
  return () => {
    pending ??= read().catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}

/** Salesforce ids are case-sensitive in their first 15 characters; the last 3 only encode case. */
export function sameOrg(a: string, b: string): boolean {
  return a.slice(0, 15) === b.slice(0, 15);
}
