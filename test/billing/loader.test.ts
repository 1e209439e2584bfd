/** The batch's billing reads coalesce into one request; reads asked for later go to the next one. */
import { describe, expect, it } from 'vitest';
import { coalescingLoader, type BillingKey } from '../../src/billing/loader.js';

describe('coalescingLoader', () => {
  it('fetches every key asked for in the same turn together, continuations included', async () => {
    const calls: BillingKey[][] = [];
    const load = coalescingLoader(async (keys) => {
      calls.push([...keys]);
      return new Map();
    });
    const key = (n: number): BillingKey => ({ sobject: 'Opportunity', recordId: `006Ab00000Load${n}AAA` });

    await Promise.all([load([key(1)]), load([key(2), key(3)]), Promise.resolve().then(() => load([key(4)]))]);
    await load([key(5)]);

    expect(calls.map((c) => c.map((k) => k.recordId))).toEqual([
      ['006Ab00000Load1AAA', '006Ab00000Load2AAA', '006Ab00000Load3AAA', '006Ab00000Load4AAA'],
      ['006Ab00000Load5AAA'],
    ]);
  });

  it('hands a failed read to every caller of that batch, and reads again next time', async () => {
    let fail = true;
    const load = coalescingLoader(async () => {
      if (fail) throw new Error('DynamoDB down');
      return new Map();
    });
    const key: BillingKey = { sobject: 'Order', recordId: '801Ab00000Load1AAA' };
    const results = await Promise.allSettled([load([key]), load([key])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(load([key])).resolves.toEqual(new Map());
  });
});
