// Lint rules that carry the architecture (STYLE.md): dependencies point inward, no focused or
// skipped tests, no @ts-ignore.
import tseslint from 'typescript-eslint';
import vitest from '@vitest/eslint-plugin';
import boundaries from 'eslint-plugin-boundaries';
import { builtinModules } from 'node:module';

/**
 * The README's layout table, enforced at any depth (issue 15): which top-level folder may import
 * which. `dashboard/` is browser code and imports nothing of ours.
 */
const LAYERS = ['core', 'dtls', 'store', 'coap-edge', 'functions', 'infra', 'local', 'cli', 'sim', 'bench', 'scripts', 'test'];
const MAY_IMPORT = {
  core: [],
  // DTLS 1.2 PSK stands apart from the edge, as Californium keeps Scandium: it knows no LwM2M.
  dtls: [],
  store: ['core'],
  'coap-edge': ['core', 'store', 'dtls'],
  functions: ['core', 'store'],
  infra: ['core', 'store'],
  sim: ['core'],
  // The CLI signs images with the verifier's own code (store/imageSigning.ts).
  cli: ['core', 'store'],
  local: LAYERS,
  bench: LAYERS,
  scripts: LAYERS,
  test: LAYERS,
};
/** Only types cross these edges: the CLI speaks to the API and shares its shapes, nothing more. */
const MAY_IMPORT_TYPES = { cli: ['functions'] };
const layerPolicies = [
  ...Object.entries(MAY_IMPORT).map(([from, to]) => ({ from: { element: { type: from } }, allow: { to: { element: { types: { anyOf: [from, ...to] } } } } })),
  ...Object.entries(MAY_IMPORT_TYPES).map(([from, to]) => ({ from: { element: { type: from } }, allow: { to: { element: { types: { anyOf: to } } }, dependency: { kind: 'type' } } })),
];

const restrictedForCore = {
  patterns: [
    { group: ['coap', 'coap-packet', '@aws-sdk/*', 'aws-cdk-lib', 'aws-cdk-lib/*', 'constructs'], message: 'core/ is pure: no I/O, no transport, no AWS.' },
    { group: [...builtinModules, ...builtinModules.map((name) => `node:${name}`)], message: 'core/ is pure: no Node built-in modules (no I/O, no clock, no crypto); adapters outside core/ provide them.' },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', 'dist/**', '.scratch/**'] },
  ...tseslint.configs.recommended,
  {
    // Type-aware rules (STYLE.md 11, issue 13: no floating promise anywhere in the tree).
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: false }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    rules: {
      '@typescript-eslint/ban-ts-comment': ['error', { 'ts-ignore': true, 'ts-nocheck': true, 'ts-expect-error': 'allow-with-description' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.ts'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': LAYERS.map((layer) => ({ type: layer, pattern: `${layer}/**`, partialMatch: false })),
      'boundaries/include': LAYERS.map((layer) => `${layer}/**/*`),
    },
    rules: { 'boundaries/dependencies': ['error', { default: 'disallow', policies: layerPolicies }] },
  },
  { files: ['core/**/*.ts'], rules: { 'no-restricted-imports': ['error', restrictedForCore] } },
  {
    files: ['dtls/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['coap', 'coap-packet', '@aws-sdk/*', 'aws-cdk-lib', 'aws-cdk-lib/*'], message: 'dtls/ is a record layer on node:crypto and node:dgram: no CoAP, no AWS.' }] }] },
  },
  {
    files: ['store/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['coap', 'coap-packet', 'node:dgram', 'dgram'], message: 'store/ is storage: no transport.' }] }] },
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
