/**
 * `xml2js` (with xmlbuilder and sax, 100 kB) in the Lambda bundles (aliased in infra/bundling.ts):
 * jsforce parses XML answers (SOAP, Metadata API) with it. The bridge calls REST, which answers
 * JSON; should an XML body ever come back, it is kept as text, as jsforce does for any type it does
 * not parse, and the caller sees an unexpected answer.
 */
const xml2js = {
  parseStringPromise: async (text: string): Promise<string> => text,
};

export default xml2js;
