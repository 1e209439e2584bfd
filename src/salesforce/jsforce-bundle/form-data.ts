/**
 * `form-data` (with mime-db, 140 kB) in the Lambda bundles (aliased in infra/bundling.ts): jsforce
 * uses it for multipart uploads (`multipartFileFields` on create), which the bridge never makes.
 * jsforce checks `body instanceof FormData` on every request; no body ever is one.
 */
export default class FormData {
  constructor() {
    throw new Error('Multipart uploads (form-data) are not part of the bridge bundle: src/salesforce/jsforce-bundle/form-data.ts');
  }
}
