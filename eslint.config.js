import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'cdk.out/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[source.value=/^zod/] > ImportSpecifier[imported.name='z']",
          message: "Import zod as `import * as z from 'zod'` so bundlers can tree-shake it.",
        },
      ],
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'jsforce', message: "Import 'jsforce/core' to keep the bundle lean." },
          ],
        },
      ],
    },
  },
  {
    // Test helpers and the stand-ins may use `any` where they mimic loosely typed wire formats.
    files: ['test/**/*.ts', 'src/local/standins/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Stand-ins for CommonJS packages in the bundles (src/logging-bundle/).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable' } },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
