// Lint: the promise rules that catch a failure nobody handles (a floating promise, an async
// callback where a sync one is expected), and no bare `new Error` in the packages: an error is a
// UserError (the user can act on it) or a BugError (dockside is wrong), see packages/common/src/errors.ts.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/dist-bundle/**', 'images/*/build/**', '**/*.d.ts'] },
  {
    files: ['packages/*/src/**/*.ts'],
    // Test helpers (src/testing/) are outside the packages' tsconfig, as the tests are.
    ignores: ['**/*.test.ts', '**/src/testing/**'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    files: ['packages/*/src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/src/testing/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Error']", message: 'throw a UserError (the user can act on it) or a BugError (dockside is wrong) from @dockside/common' },
        { selector: "CallExpression[callee.name='Error']", message: 'throw a UserError or a BugError from @dockside/common' },
      ],
    },
  },
);
