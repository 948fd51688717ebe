// ESLint flat config with type-aware rules (docs/style.md §10) and the module boundaries of
// docs/architecture.md ("Dependencies", "Enforcement").
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

// The modules under src/ and which other modules each may import: the table of
// docs/architecture.md ("Dependencies"). Spec files follow the same table.
const SHARED = ['config', 'events', 'metrics'];
const ALLOWED = {
  config: [],
  events: [],
  metrics: ['config'],
  process: [...SHARED],
  usage: [...SHARED],
  discovery: ['process', ...SHARED],
  backend: ['discovery', 'usage', ...SHARED],
  auth: ['backend', 'router', ...SHARED],
  router: ['discovery', 'auth', 'status', 'usage', ...SHARED],
  status: ['discovery', 'process', 'backend', 'auth', 'router', 'usage', ...SHARED],
  jobs: ['process', 'discovery', 'backend', 'auth', 'usage', ...SHARED],
  mcp: ['router', 'auth', 'status', 'tasks', ...SHARED],
  rest: ['router', 'discovery', 'auth', 'usage', 'status', ...SHARED],
  tasks: ['router', 'usage', ...SHARED],
};
// Pairs that refer to each other only through leaf files: `importer>imported` → the files of the
// imported module the importer may use; the rest of that module stays out of its reach.
const LEAVES = {
  'auth>router': ['caller-context.ts', 'meta-tools.ts'],
  'router>auth': ['client-quota.service.ts'],
  'status>router': ['caller-context.ts'],
  'router>status': ['status-contributors.service.ts'],
};

const MODULES = Object.keys(ALLOWED);
const unlisted = readdirSync(join(import.meta.dirname, 'src'), { withFileTypes: true })
  .filter((e) => e.isDirectory() && !MODULES.includes(e.name))
  .map((e) => `src/${e.name}`);
if (unlisted.length > 0)
  throw new Error(
    `eslint.config.mjs: ${unlisted.join(', ')} not in the module table (ALLOWED); add it here and to docs/architecture.md`,
  );

const RULE = 'docs/architecture.md, "Dependencies"';
const moduleZones = MODULES.flatMap((m) => [
  ...MODULES.filter((n) => n !== m && !ALLOWED[m].includes(n)).map((n) => ({
    target: `./src/${m}`,
    from: `./src/${n}`,
    message: `${m} may not import ${n} (${RULE}).`,
  })),
  ...Object.entries(LEAVES)
    .filter(([pair]) => pair.startsWith(`${m}>`))
    .map(([pair, files]) => ({
      target: `./src/${m}`,
      from: `./src/${pair.split('>')[1]}`,
      except: files.map((f) => `./${f}`),
      message: `${m} may import only ${files.join(', ')} of ${pair.split('>')[1]} (${RULE}).`,
    })),
  {
    target: `./src/${m}`,
    from: ['./src/*.ts'],
    message: `Modules do not import the app's assembly (src/*.ts) (${RULE}).`,
  },
]);
const testZone = {
  target: './src',
  from: './test',
  message: 'Only spec files may import test support.',
};
const boundaries = (zones) => ({
  'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones }],
  // A relative import that does not resolve would slip past the zones above.
  'import-x/no-unresolved': ['error', { ignore: ['^[^.]'] }],
});

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.tools/**',
      'coverage/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [
        createTypeScriptImportResolver({ project: join(import.meta.dirname, 'tsconfig.json') }),
      ],
    },
    rules: boundaries([...moduleZones, testZone]),
  },
  { files: ['src/**/*.spec.ts'], rules: boundaries(moduleZones) },
  {
    files: ['test/**/*.ts', 'src/**/*.spec.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  prettier,
);
