import { describe, expect, it } from 'vitest';
import { jwtAudience } from '../../src/salesforce/auth.js';

describe('jwtAudience', () => {
  it('uses the generic login hosts for My Domain logins and the login URL otherwise', () => {
    expect(jwtAudience('https://acme.my.salesforce.com')).toBe('https://login.salesforce.com');
    expect(jwtAudience('https://acme--uat.sandbox.my.salesforce.com')).toBe('https://test.salesforce.com');
    expect(jwtAudience('https://test.salesforce.com')).toBe('https://test.salesforce.com');
    expect(jwtAudience('http://127.0.0.1:4000')).toBe('http://127.0.0.1:4000');
  });
});
