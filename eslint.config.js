// Lint rules that carry the architecture (STYLE.md): dependencies point inward, no focused or
// skipped tests, no @ts-ignore.
import tseslint from 'typescript-eslint';
import vitest from '@vitest/eslint-plugin';

const restrictedForCore = {
  patterns: [
    { group: ['coap', 'coap-packet', 'node:dgram', 'dgram', 'node:fs', 'node:fs/*', 'node:net', 'node:http', '@aws-sdk/*', 'aws-cdk-lib', 'aws-cdk-lib/*', 'constructs'], message: 'core/ is pure: no I/O, no transport, no AWS.' },
    { group: ['../store/*', '../../store/*', '../coap-edge/*', '../../coap-edge/*', '../functions/*', '../../functions/*', '../infra/*', '../../infra/*', '../local/*', '../../local/*', '../sim/*', '../../sim/*', '../cli/*', '../../cli/*'], message: 'core/ imports nothing of ours outside core/.' },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', 'dist/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/ban-ts-comment': ['error', { 'ts-ignore': true, 'ts-nocheck': true, 'ts-expect-error': 'allow-with-description' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  { files: ['core/**/*.ts'], rules: { 'no-restricted-imports': ['error', restrictedForCore] } },
  {
    files: ['store/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['coap', 'node:dgram', '../coap-edge/*', '../functions/*', '../infra/*', '../local/*', '../cli/*', '../sim/*'], message: 'store/ imports only core/.' }] }] },
  },
  {
    files: ['infra/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['../../coap-edge/*', '../../store/Dynamo*', '../../store/S3*', '../../local/*', '../../sim/*', 'coap', '@aws-sdk/*'], message: 'infra/ imports no runtime code (only handler entry paths and shared schema constants).' }] }] },
  },
  {
    files: ['test/**/*.ts'],
    plugins: { vitest },
    rules: { 'vitest/no-focused-tests': 'error', 'vitest/no-disabled-tests': 'error' },
  },
);
