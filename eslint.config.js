import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.bench-build/**', '.tools/**', 'odoo_addon/**', 'contracts/json-schema/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through gateway/src/config.ts only.' },
      ],
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { URL: 'readonly', process: 'readonly', console: 'readonly' } },
  },
  {
    files: ['gateway/src/config.ts', 'gateway/src/main.ts', 'test/**', 'bench/**', '**/*.test.ts', 'contracts/scripts/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
