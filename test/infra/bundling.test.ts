import { describe, expect, it } from 'vitest';
import { LogLevel, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { BRIDGE_ENTRIES, esbuildOptions, lambdaBundling, SHARED_BUNDLE } from '../../infra/bundling.js';

describe('one bundling definition for cdk deploy and npm run build', () => {
  const lambda = lambdaBundling();
  const build = esbuildOptions(BRIDGE_ENTRIES.ingress, 'dist/ingress');

  it('gives NodejsFunction and esbuild the same settings', () => {
    expect(lambda.format).toBe(OutputFormat.ESM);
    expect(build.format).toBe('esm');
    expect(lambda.target).toBe(build.target);
    expect(lambda.minify).toBe(build.minify);
    expect(lambda.keepNames).toBe(build.keepNames);
    expect(lambda.sourceMap).toBe(build.sourcemap);
    expect(lambda.sourceMapMode).toBe(SourceMapMode.DEFAULT); // external .map, like esbuild's `sourcemap: true`
    expect(lambda.sourcesContent).toBe(build.sourcesContent);
    expect(lambda.mainFields).toEqual(build.mainFields);
    expect(lambda.externalModules).toEqual(build.external);
    expect(lambda.banner).toBe(build.banner?.js);
    // NodejsFunction has no alias option: the same replacements reach its esbuild CLI as --alias.
    expect(lambda.esbuildArgs?.['--alias']).toEqual(Object.entries(build.alias ?? {}).map(([name, path]) => `${name}=${path}`));
    expect(Object.keys(build.alias ?? {})).toEqual(expect.arrayContaining(['undici', 'form-data', 'xml2js', 'csv-parse']));
    expect(lambda.metafile).toBe(true);
    // Quiet synth and test output: esbuild reports warnings and errors only, in both builds.
    expect(lambda.logLevel).toBe(LogLevel.WARNING);
    expect(build.logLevel).toBe('warning');
  });

  it('targets Node 24, minifies, keeps source maps and bundles everything including the AWS SDK', () => {
    expect(SHARED_BUNDLE).toMatchObject({ target: 'node24', minify: true, sourcemap: true, external: [] });
    expect(build).toMatchObject({ bundle: true, platform: 'node', outfile: 'dist/ingress/index.mjs', metafile: true });
  });

  it('defines require for CommonJS dependencies inside the ESM bundle', () => {
    expect(SHARED_BUNDLE.bannerJs).toMatch(/createRequire/);
    expect(SHARED_BUNDLE.bannerJs).toMatch(/const require = /);
  });
});
