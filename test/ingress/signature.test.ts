import { describe, expect, it } from 'vitest';
import { ConfigError, SignatureVerificationError } from '../../src/errors.js';
import { computeSignature, parseSignatureHeader, verifyStripeSignature } from '../../src/stripe/signature.js';
import { NOW_S, OTHER_SECRET, SECRET, sign, stripe } from './support.js';

const TOLERANCE = 300;
const body = JSON.stringify({ id: 'evt_1', object: 'event', type: 'customer.created' });

function verify(overrides: Partial<Parameters<typeof verifyStripeSignature>[0]> = {}) {
  return verifyStripeSignature({
    payload: body,
    header: sign(body),
    secrets: [SECRET],
    toleranceSeconds: TOLERANCE,
    nowSeconds: NOW_S,
    ...overrides,
  });
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof SignatureVerificationError) return err.code;
    throw err;
  }
  return 'ACCEPTED';
}

describe('verifyStripeSignature', () => {
  it('accepts a header from generateTestHeaderString and reports the signed timestamp', () => {
    expect(verify()).toEqual({ timestamp: NOW_S, secretIndex: 0 });
  });

  it('accepts the same bytes given as a Buffer', () => {
    expect(verify({ payload: Buffer.from(body, 'utf8') }).secretIndex).toBe(0);
  });

  it('rejects a tampered body, a wrong secret and a signature from another timestamp', () => {
    expect(codeOf(() => verify({ payload: `${body} ` }))).toBe('SIGNATURE_MISMATCH');
    expect(codeOf(() => verify({ secrets: [OTHER_SECRET] }))).toBe('SIGNATURE_MISMATCH');
    const header = sign(body).replace(`t=${NOW_S}`, `t=${NOW_S - 1}`);
    expect(codeOf(() => verify({ header }))).toBe('SIGNATURE_MISMATCH');
  });

  it('accepts any configured secret (rotation) and says which one matched', () => {
    const header = sign(body, { secret: OTHER_SECRET });
    expect(verify({ header, secrets: [SECRET, OTHER_SECRET] })).toEqual({ timestamp: NOW_S, secretIndex: 1 });
  });

  it('accepts any of several v1 values and ignores v0 and unknown schemes', () => {
    const good = computeSignature(body, NOW_S, SECRET);
    const wrong = computeSignature(body, NOW_S, OTHER_SECRET);
    expect(verify({ header: `t=${NOW_S},v1=${wrong},v1=${good}` }).secretIndex).toBe(0);
    expect(verify({ header: `t=${NOW_S},v0=${wrong},v1=${good},v9=zzz` }).secretIndex).toBe(0);
    expect(codeOf(() => verify({ header: `t=${NOW_S},v0=${good}` }))).toBe('SIGNATURE_MALFORMED');
  });

  it('compares full signatures only (prefix, upper case or truncated values do not match)', () => {
    const good = computeSignature(body, NOW_S, SECRET);
    for (const candidate of [good.slice(0, 63), `${good}0`, good.toUpperCase(), '']) {
      expect(codeOf(() => verify({ header: `t=${NOW_S},v1=${candidate}` }))).not.toBe('ACCEPTED');
    }
  });

  it('compares characters, not their low bytes: a non-ASCII look-alike of the signature does not match', () => {
    const good = computeSignature(body, NOW_S, SECRET);
    // U+0161 is 0x61 ('a') in Latin-1; U+0100 + digit shares the digit's low byte too.
    const lookAlikes = [
      good.replace(/a/, '\u0161'),
      good.replace(/\d/, (d) => String.fromCharCode(0x100 + d.charCodeAt(0))),
      `${good.slice(0, 62)}\u00e9${good.slice(63)}`,
      `${good.slice(0, 63)}\u00e9`,
    ];
    for (const candidate of lookAlikes) {
      expect(candidate).toHaveLength(64);
      expect(codeOf(() => verify({ header: `t=${NOW_S},v1=${candidate}` }))).toBe('SIGNATURE_MISMATCH');
    }
    // The scratch buffers keep no state from one comparison to the next: the real one still matches.
    expect(verify({ header: `t=${NOW_S},v1=${lookAlikes[3]},v1=${good}` }).secretIndex).toBe(0);
  });

  it('reads headers item by item exactly as a split on commas and the first = would', () => {
    const reference = (header: string) => {
      const items = header.split(',').flatMap((item) => {
        const eq = item.indexOf('=');
        return eq <= 0 ? [] : [[item.slice(0, eq).trim(), item.slice(eq + 1).trim()] as const];
      });
      return {
        timestamp: Number(items.find(([k]) => k === 't')?.[1]),
        signatures: items.filter(([k, v]) => k === 'v1' && v !== '').map(([, v]) => v),
      };
    };
    for (const header of [
      't=1,v1=abc',
      ' t = 1 , v1 = abc , v1=def,',
      ',,t=1,,v1=a=b,=x,v1=,noequals,v0=zz,v1=c',
      `t=1,${'noequals,'.repeat(300)}v1=last`,
      't=1,v1=abc,=,==,v1==',
    ]) {
      expect(parseSignatureHeader(header), header.slice(0, 40)).toEqual(reference(header));
    }
  });

  it('tells a missing header from a malformed one', () => {
    expect(codeOf(() => verify({ header: undefined }))).toBe('SIGNATURE_MISSING');
    expect(codeOf(() => verify({ header: '   ' }))).toBe('SIGNATURE_MISSING');
    const good = computeSignature(body, NOW_S, SECRET);
    for (const header of [
      'garbage',
      `v1=${good}`,
      `t=,v1=${good}`,
      `t=12abc,v1=${good}`,
      `t=-5,v1=${good}`,
      `t=${NOW_S}`,
      `t=${NOW_S},t=${NOW_S},v1=${good}`,
      `t=${NOW_S},v1=${good},${'x'.repeat(5000)}`,
    ]) {
      expect(codeOf(() => verify({ header })), header.slice(0, 40)).toBe('SIGNATURE_MALFORMED');
    }
  });

  it('rejects a timestamp older than the tolerance, at the boundary exactly as Stripe does', () => {
    expect(verify({ header: sign(body, { timestamp: NOW_S - TOLERANCE }) }).secretIndex).toBe(0);
    expect(codeOf(() => verify({ header: sign(body, { timestamp: NOW_S - TOLERANCE - 1 }) }))).toBe('SIGNATURE_STALE');
  });

  it('rejects a timestamp further in the future than the tolerance (Stripe accepts it; see module doc)', () => {
    expect(verify({ header: sign(body, { timestamp: NOW_S + TOLERANCE }) }).secretIndex).toBe(0);
    const farFuture = sign(body, { timestamp: NOW_S + TOLERANCE + 1 });
    expect(codeOf(() => verify({ header: farFuture }))).toBe('SIGNATURE_STALE');
    // The documented difference: stripe-node only rejects old timestamps.
    expect(() => stripe.webhooks.constructEvent(body, farFuture, SECRET, TOLERANCE, undefined, NOW_S * 1000)).not.toThrow();
  });

  it('reports a forged stale request as a mismatch, not as stale', () => {
    const header = sign(body, { timestamp: NOW_S - 10_000, secret: OTHER_SECRET });
    expect(codeOf(() => verify({ header }))).toBe('SIGNATURE_MISMATCH');
  });

  it('treats a missing secret or a zero tolerance as configuration errors, not as bad signatures', () => {
    expect(() => verify({ secrets: [] })).toThrow(ConfigError);
    expect(() => verify({ secrets: [''] })).toThrow(ConfigError);
    expect(() => verify({ toleranceSeconds: 0 })).toThrow(ConfigError);
  });
});

/** Small deterministic PRNG (mulberry32) so a failure is reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = ['a', 'Z', '0', ' ', '"', '\\', '\n', 'é', '€', '中', '😀', '\u2028', '=', ',', '\t'];

describe('equivalence with stripe.webhooks.constructEvent', () => {
  it('agrees on random bodies, secrets, timestamps and header variants', () => {
    const random = prng(20260115);
    const int = (n: number) => Math.floor(random() * n);
    const text = (max: number) => Array.from({ length: int(max) }, () => ALPHABET[int(ALPHABET.length)]).join('');
    let accepted = 0;
    let rejected = 0;

    for (let i = 0; i < 300; i++) {
      const payload = JSON.stringify({ id: `evt_${i}`, object: 'event', note: text(200) });
      const secret = `whsec_test_fake_${text(30).replace(/[^\w]/g, 'x')}${i}`;
      const other = `${secret}_other`;
      // Inside the window or too old: where both verifiers are specified to agree.
      const timestamp = NOW_S - int(2 * TOLERANCE) + int(TOLERANCE) - Math.floor(TOLERANCE / 2);
      const signedWith = random() < 0.7 ? secret : other;
      let header = sign(payload, { secret: signedWith, timestamp });
      const variant = int(4);
      if (variant === 1) header = `${header},v1=${computeSignature(payload, timestamp, other)}`;
      if (variant === 2) header = `t=${timestamp},v0=${computeSignature(payload, timestamp, secret)},${header.split(',')[1]}`;
      const sent = variant === 3 && random() < 0.5 ? `${payload}\n` : payload;
      const asBuffer = random() < 0.5;

      let stripeAccepts = true;
      try {
        stripe.webhooks.constructEvent(asBuffer ? Buffer.from(sent) : sent, header, secret, TOLERANCE, undefined, NOW_S * 1000);
      } catch {
        stripeAccepts = false;
      }
      let oursAccepts = true;
      try {
        verifyStripeSignature({
          payload: asBuffer ? Buffer.from(sent) : sent,
          header,
          secrets: [secret],
          toleranceSeconds: TOLERANCE,
          nowSeconds: NOW_S,
        });
      } catch (err) {
        expect(err).toBeInstanceOf(SignatureVerificationError);
        oursAccepts = false;
      }
      expect(oursAccepts, `case ${i}`).toBe(stripeAccepts);
      if (oursAccepts) accepted++;
      else rejected++;
    }
    // The generator must exercise both answers, or the comparison proves little.
    expect(accepted).toBeGreaterThan(50);
    expect(rejected).toBeGreaterThan(50);
  });
});
