/**
 * Who may ask Stripe for what. Commands that move money name a custom permission; the bridge
 * checks that the requesting user (`Requested_By__c`) holds it, so a Flow built without the check
 * cannot bypass it. A user holds a custom permission through any permission set assigned to them,
 * their profile's own permission set included (every profile has one, `IsOwnedByProfile`), and
 * permission set groups (their aggregate permission set carries the assignment).
 *
 * One query per user and permission, cached: a SetupEntityAccess row links a permission set
 * (ParentId) to the custom permission (SetupEntityId); PermissionSetAssignment links the user.
 * The shape is the one Salesforce documents for "which permission sets grant this custom
 * permission" (Object Reference, CustomPermission, Usage:
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_custompermission.htm),
 * narrowed to one user with a second semi-join (SOQL allows two semi-joins per query, not nested).
 * Reading CustomPermission, SetupEntityAccess and PermissionSetAssignment needs "View Setup and
 * Configuration" (ViewSetup) since Summer '20: the integration permission set grants it.
 */
import { PermanentError } from '../errors.js';

export const CUSTOM_PERMISSIONS = ['Stripe_Request_Payment', 'Stripe_Issue_Refunds', 'Stripe_Manage_Billing'] as const;
export type CustomPermissionName = (typeof CUSTOM_PERMISSIONS)[number];

const USER_ID = /^005[a-zA-Z0-9]{12}(?:[a-zA-Z0-9]{3})?$/;

export function isUserId(value: string | undefined): value is string {
  return value !== undefined && USER_ID.test(value);
}

/** Rows only when `userId` holds `permission`; the values spliced in are validated first. */
export function permissionQuery(userId: string, permission: CustomPermissionName): string {
  if (!isUserId(userId)) throw new PermanentError('Not a user id', { code: 'REQUESTER_INVALID' });
  return (
    'SELECT Id FROM SetupEntityAccess' +
    ` WHERE SetupEntityId IN (SELECT Id FROM CustomPermission WHERE DeveloperName = '${permission}')` +
    ` AND ParentId IN (SELECT PermissionSetId FROM PermissionSetAssignment WHERE AssigneeId = '${userId}')` +
    ' LIMIT 1'
  );
}

export interface PermissionChecker {
  holds(userId: string, permission: CustomPermissionName): Promise<boolean>;
}

export interface PermissionCacheOptions {
  /** How long an answer is reused; a permission granted or revoked takes effect within it. */
  readonly ttlMs: number;
  readonly now: () => number;
}

/** Five minutes: the bridge asks once per user and permission, a revoked permission stops within it. */
export const PERMISSION_CACHE_MS = 5 * 60 * 1000;

/**
 * `count(soql)` runs a query and answers its number of rows. Answers are cached per user and
 * permission; concurrent checks for the same pair share one query.
 */
export function cachedPermissionChecker(count: (soql: string) => Promise<number>, options: PermissionCacheOptions): PermissionChecker {
  const cache = new Map<string, { readonly answer: Promise<boolean>; readonly expiresAt: number }>();
  return {
    holds(userId, permission) {
      const key = `${userId.slice(0, 15)}:${permission}`;
      const cached = cache.get(key);
      if (cached !== undefined && cached.expiresAt > options.now()) return cached.answer;
      const answer = count(permissionQuery(userId, permission)).then((rows) => rows > 0);
      cache.set(key, { answer, expiresAt: options.now() + options.ttlMs });
      // A failed query is not an answer: the next check asks again.
      answer.catch(() => cache.delete(key));
      return answer;
    },
  };
}
