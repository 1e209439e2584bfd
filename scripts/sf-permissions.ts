/**
 * `npm run sf:permissions`: writes the package's permission sets from the catalogue
 * (src/salesforce/data-model.ts, integration-access.ts). Run it after adding or changing a field
 * and commit the result. `npm run sf:permissions -- --check` only reports files that differ.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packagePermissionSets, permissionSetPath, renderPermissionSet } from '../src/salesforce/permission-sets.js';

const salesforceDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'salesforce');
const check = process.argv.includes('--check');

async function current(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

let stale = 0;
for (const spec of packagePermissionSets()) {
  const relative = permissionSetPath(spec.name);
  const file = join(salesforceDir, relative);
  const rendered = renderPermissionSet(spec);
  if ((await current(file)) === rendered) {
    console.log(`  unchanged  salesforce/${relative}`);
    continue;
  }
  stale += 1;
  if (check) {
    console.log(`  stale      salesforce/${relative}`);
  } else {
    await writeFile(file, rendered);
    console.log(`  written    salesforce/${relative}`);
  }
}
if (check && stale > 0) {
  console.error(`${stale} permission set(s) differ from the catalogue: run npm run sf:permissions`);
  process.exitCode = 1;
}
