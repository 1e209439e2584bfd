import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../../src/handlers/ingress.ts', import.meta.url));

describe('ingress bundle', () => {
  it('reaches neither jsforce, stripe nor the DynamoDB client', async () => {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    const packages = new Set(
      inputs.flatMap((path) => {
        const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
        return match ? [match[1]!] : [];
      }),
    );

    // Positive control: the graph was really walked (the SQS client is the one AWS package we need).
    expect(packages).toContain('@aws-sdk/client-sqs');
    expect(inputs.some((p) => p.endsWith('src/stripe/signature.ts'))).toBe(true);
    for (const forbidden of ['jsforce', 'stripe', '@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb']) {
      expect(packages, forbidden).not.toContain(forbidden);
    }
  });
});
