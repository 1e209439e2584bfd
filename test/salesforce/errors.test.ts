import { describe, expect, it } from 'vitest';
import { errorReason, PermanentError, redactMessage, TransientError } from '../../src/errors.js';
import { OLDER_EVENT_RULE, VERSION_FIELD } from '../../src/salesforce/data-model.js';
import { classifySalesforceFailure, isInvalidSession, isStaleRejection, salesforceError } from '../../src/salesforce/errors.js';

describe('salesforceError', () => {
  it.each([
    'INVALID_FIELD',
    'FIELD_CUSTOM_VALIDATION_EXCEPTION',
    'REQUIRED_FIELD_MISSING',
    'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
    'DUPLICATE_VALUE',
    'STRING_TOO_LONG',
    'MALFORMED_ID',
    'INVALID_TYPE_ON_FIELD_IN_RECORD',
    'JSON_PARSER_ERROR',
    'INVALID_CROSS_REFERENCE_KEY',
    'ENTITY_IS_DELETED',
    'FIELD_INTEGRITY_EXCEPTION',
    'ERROR_HTTP_400',
  ])('%s is permanent', (code) => {
    const err = salesforceError(code, 'x');
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.code).toBe(`SALESFORCE_${code}`);
  });

  it.each(['UNABLE_TO_LOCK_ROW', 'REQUEST_LIMIT_EXCEEDED', 'SERVER_UNAVAILABLE', 'INVALID_SESSION_ID', 'ERROR_HTTP_502', 'SOMETHING_NEW'])(
    '%s is transient',
    (code) => {
      expect(salesforceError(code, 'x')).toBeInstanceOf(TransientError);
    },
  );
});

describe('classifySalesforceFailure', () => {
  it('keeps the jsforce error as the cause', () => {
    const jsforceError = Object.assign(new Error('Session expired or invalid'), { errorCode: 'INVALID_SESSION_ID', name: 'INVALID_SESSION_ID' });
    const classified = classifySalesforceFailure(jsforceError);
    expect(classified).toBeInstanceOf(TransientError);
    expect(classified.code).toBe('SALESFORCE_INVALID_SESSION_ID');
    expect(classified.cause).toBe(jsforceError);
    expect(isInvalidSession(jsforceError)).toBe(true);
  });

  it('treats network failures and timeouts as transient', () => {
    const reset = new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
    expect(classifySalesforceFailure(reset).code).toBe('SALESFORCE_ECONNRESET');
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(classifySalesforceFailure(timeout)).toBeInstanceOf(TransientError);
    expect(classifySalesforceFailure(timeout).code).toBe('SALESFORCE_TIMEOUT');
  });

  it('classifies the first of several API errors', () => {
    const multiple = Object.assign(new Error('Multiple errors returned.'), {
      errorCode: 'MULTIPLE_API_ERRORS',
      data: [{ errorCode: 'MALFORMED_QUERY', message: 'unexpected token' }, { errorCode: 'OTHER', message: 'x' }],
    });
    expect(classifySalesforceFailure(multiple).code).toBe('SALESFORCE_MALFORMED_QUERY');
    expect(classifySalesforceFailure(multiple).kind).toBe('permanent');
  });

  it('passes errors of the taxonomy through', () => {
    const mine = new PermanentError('bad', { code: 'MINE' });
    expect(classifySalesforceFailure(mine)).toBe(mine);
  });
});

// Salesforce's messages echo values (shapes as the stand-in and Salesforce REST word them).
describe('redacted Salesforce messages', () => {
  it.each([
    ['Stripe_Payment__c: bad value for restricted picklist field: Premium Gold', 'bad value for restricted picklist field: <value>'],
    ['Card_Last4__c: data value too large: 4242424242424242 (max length=4)', 'data value too large: <value> (max length=4)'],
    ['Stripe_Billing_Email__c: invalid email address: jane.doe@example.com', 'invalid email address: <value>'],
    ["Amount__c: value not of required type: 'one hundred'", 'value not of required type: <value>'],
    ['Customer note "call Jane Doe at 415 555 0100" rejected', 'Customer note <value> rejected'],
    ['Payment reference 4000 0566 5566 5556 failed', 'Payment reference <number> failed'],
  ])('%s', (message, kept) => {
    const reason = errorReason(salesforceError('FIELD_CUSTOM_VALIDATION_EXCEPTION', message));
    expect(reason).toContain(kept);
    expect(reason).not.toMatch(/Premium Gold|4242424242424242|jane\.doe|one hundred|Jane Doe|5556/);
  });

  it('keeps codes, field names, Stripe ids and quoted API names an operator needs', () => {
    const text = "Foreign key external ID: cus_NffrFeUfNV2Hib not found for field Stripe_Customer_Id__c in entity Account; No such column 'No_Such_Field__c'";
    expect(redactMessage(text)).toBe(text);
  });

  it('bounds the message', () => {
    expect(redactMessage('x'.repeat(1000))).toHaveLength(300);
    expect(errorReason(new Error('y'.repeat(1000)))).toHaveLength(500);
  });
});

describe('stale rejections', () => {
  it('recognises the precedence rule by its error location or its message, and nothing else', () => {
    expect(isStaleRejection('FIELD_CUSTOM_VALIDATION_EXCEPTION', 'anything', [VERSION_FIELD])).toBe(true);
    expect(isStaleRejection('FIELD_CUSTOM_VALIDATION_EXCEPTION', OLDER_EVENT_RULE.errorMessage, [])).toBe(true);
    expect(isStaleRejection('FIELD_CUSTOM_VALIDATION_EXCEPTION', 'Amount must be positive', ['Amount__c'])).toBe(false);
    expect(isStaleRejection('INVALID_FIELD', OLDER_EVENT_RULE.errorMessage, [VERSION_FIELD])).toBe(false);
  });
});
