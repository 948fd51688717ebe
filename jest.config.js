// Jest runs in native ESM mode (NestJS 12 packages are ESM-only); TypeScript is compiled by SWC.
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  // Sources import siblings as './x.js' (NodeNext); map them back to the .ts file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};

/** @type {import('jest').Config} */
export default {
  // Two cores on CI machines: e2e suites spawn servers, so keep the parallelism modest.
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.cjs'],
  projects: [
    { ...common, displayName: 'unit', rootDir: 'src', testMatch: ['**/*.spec.ts'] },
    { ...common, displayName: 'e2e', rootDir: 'test', testMatch: ['**/*.e2e-spec.ts'] },
  ],
};
