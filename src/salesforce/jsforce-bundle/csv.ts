/**
 * `csv-parse` and `csv-stringify` (and their `/sync` entries, 90 kB) in the Lambda bundles
 * (aliased in infra/bundling.ts): jsforce uses them for the Bulk API's CSV, which the bridge never
 * calls. A REST answer typed text/csv would be kept as text, as jsforce does for types it does not
 * parse.
 */
function notBundled(what: string): never {
  throw new Error(`${what} is not part of the bridge bundle: src/salesforce/jsforce-bundle/csv.ts`);
}

/** `csv-parse/sync`: parses a CSV answer; the text is kept as it came. */
export function parse(text: string): string {
  return text;
}

/** `csv-parse`: the Bulk API's streaming parser. */
export class Parser {
  constructor() {
    notBundled('Bulk API CSV parsing (csv-parse)');
  }
}

/** `csv-stringify` and `csv-stringify/sync`: the Bulk API's CSV writer. */
export function stringify(): never {
  notBundled('Bulk API CSV writing (csv-stringify)');
}
