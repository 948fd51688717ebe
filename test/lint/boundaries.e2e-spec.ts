// Invariant: `npm run lint` reports every import that crosses a module boundary the table of
// docs/architecture.md ("Dependencies") does not allow, and none that it allows.
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const ROOT = resolve(import.meta.dirname, '..', '..');
const BOUNDARY_RULES = new Set(['import-x/no-restricted-paths', 'import-x/no-unresolved']);

let eslint: ESLint;
beforeAll(() => {
  // The project's own eslint.config.mjs; only the type-aware rules are switched off, because the
  // linted files below are not on disk (the boundary rules need no type information).
  eslint = new ESLint({ cwd: ROOT, overrideConfig: [tseslint.configs.disableTypeChecked] });
});

/** The boundary findings for `code` linted as if it were the file `path` (relative to the root). */
async function boundaryFindings(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(ROOT, path) });
  const fatal = result.messages.filter((m) => m.fatal);
  expect(fatal).toEqual([]);
  return result.messages
    .filter((m) => m.ruleId !== null && BOUNDARY_RULES.has(m.ruleId))
    .map((m) => `${m.ruleId}: ${m.message}`);
}

const importOf = (from: string) => `import * as m from '${from}';\nexport const x = m;\n`;

describe('module boundaries in lint', () => {
  it.each([
    ['src/router/x.ts', '../mcp/mcp.module.js', 'router may not import mcp'],
    ['src/discovery/x.ts', '../router/router.module.js', 'discovery may not import router'],
    ['src/backend/x.ts', '../auth/auth.module.js', 'backend may not import auth'],
    ['src/process/x.ts', '../discovery/discovery.module.js', 'process may not import discovery'],
    ['src/events/x.ts', '../config/satellite-config.js', 'events may not import config'],
    ['src/metrics/x.ts', '../events/event-bus.service.js', 'metrics may not import events'],
    ['src/config/x.ts', '../metrics/metrics.service.js', 'config may not import metrics'],
    ['src/status/x.ts', '../mcp/mcp.module.js', 'status may not import mcp'],
    ['src/jobs/x.ts', '../app.module.js', "Modules do not import the app's assembly"],
    // the two modules written beside this table
    ['src/usage/x.ts', '../router/router.module.js', 'usage may not import router'],
    ['src/usage/x.ts', '../discovery/discovery.module.js', 'usage may not import discovery'],
    ['src/rest/x.ts', '../mcp/mcp.module.js', 'rest may not import mcp'],
    ['src/rest/x.ts', '../backend/backend.module.js', 'rest may not import backend'],
    // spec files follow the same table
    ['src/router/x.spec.ts', '../mcp/mcp.module.js', 'router may not import mcp'],
  ])('%s importing %s is reported: %s', async (file, from, message) => {
    const findings = await boundaryFindings(file, importOf(from));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toContain(message);
    expect(findings[0]).toContain('docs/architecture.md');
  });

  it.each([
    ['src/router/x.ts', '../discovery/tool-catalog.service.js'],
    ['src/mcp/x.ts', '../router/router.module.js'],
    ['src/backend/x.ts', '../discovery/server-control.js'],
    ['src/status/x.ts', '../process/process.module.js'],
    ['src/metrics/x.ts', '../config/satellite-config.js'],
    ['src/jobs/x.ts', '../auth/auth.module.js'],
    ['src/rest/x.ts', '../router/router.module.js'],
    ['src/rest/x.ts', '../status/status-contributors.service.js'],
    ['src/usage/x.ts', '../metrics/metrics.service.js'],
    ['src/app.module.ts', './mcp/mcp.module.js'],
  ])('%s importing %s is allowed', async (file, from) => {
    expect(await boundaryFindings(file, importOf(from))).toEqual([]);
  });

  it.each([
    ['src/auth/x.ts', '../router/caller-context.js', []],
    ['src/auth/x.ts', '../router/meta-tools.js', []],
    [
      'src/auth/x.ts',
      '../router/router.module.js',
      ['auth may import only caller-context.ts, meta-tools.ts of router'],
    ],
    ['src/router/x.ts', '../auth/client-quota.service.js', []],
    [
      'src/router/x.ts',
      '../auth/client-auth.guard.js',
      ['router may import only client-quota.service.ts of auth'],
    ],
    ['src/status/x.ts', '../router/caller-context.js', []],
    [
      'src/status/x.ts',
      '../router/router.module.js',
      ['status may import only caller-context.ts of router'],
    ],
    ['src/router/x.ts', '../status/status-contributors.service.js', []],
    [
      'src/router/x.ts',
      '../status/status.module.js',
      ['router may import only status-contributors.service.ts of status'],
    ],
  ])('mutual pairs go through leaf files only: %s importing %s', async (file, from, messages) => {
    const findings = await boundaryFindings(file, importOf(from));
    expect(findings).toHaveLength(messages.length);
    messages.forEach((m, i) => expect(findings[i]).toContain(m));
  });

  it('test support is for spec files only', async () => {
    const support = '../../test/process/support/fake-children.js';
    expect(await boundaryFindings('src/process/x.spec.ts', importOf(support))).toEqual([]);
    const findings = await boundaryFindings('src/process/x.ts', importOf(support));
    expect(findings).toEqual([expect.stringContaining('Only spec files may import test support')]);
  });

  it('a relative import that does not resolve is reported, so it cannot slip past the zones', async () => {
    const findings = await boundaryFindings('src/router/x.ts', importOf('../mcp/no-such-file.js'));
    expect(findings).toEqual([expect.stringContaining('import-x/no-unresolved')]);
  });
});
