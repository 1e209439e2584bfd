/** Fixture for stack-traces.test.ts: a function two calls deep that throws. */
export function parseAmount(text: string): number {
  const amount = Number(text);
  if (Number.isNaN(amount)) throw new TypeError(`not an amount: ${text}`); // THROW HERE
  return amount;
}

export async function chargeTwice(text: string): Promise<number> {
  await Promise.resolve();
  return parseAmount(text) * 2; // CALL HERE
}
