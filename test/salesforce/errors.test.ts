import { describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../src/errors.js';
import { classifySalesforceFailure, isInvalidSession, salesforceError } from '../../src/salesforce/errors.js';

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
