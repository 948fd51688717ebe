// Invariant: one satellite passes the conformance suite through its direct endpoint as often as it
// is run (nothing of one client's run stays behind to disturb the next), and several clients
// running the progress, logging and elicitation scenarios at the same time each pass: two of them
// even use the same progress token ("progress-test-1") at once. The satellite is the built
// process (dist/main.js), as in production.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type SatelliteProcess, spawnSatellite } from '../support/satellite-process.js';
import { FIXTURE_STDIO_ENTRY, type FixtureHttp, startFixtureHttp } from './fixture-process.js';
import {
  GATEWAY_CHECKS_PASSED,
  GATEWAY_EXPECTED_FAILURES_FILE,
  runConformance,
} from './run-conformance.js';

/** Five clients at once: the same progress token twice, logging, elicitation, sampling. */
const PARALLEL = [
  'tools-call-with-progress',
  'tools-call-with-progress',
  'tools-call-with-logging',
  'tools-call-elicitation',
  'tools-call-sampling',
];
const ROUNDS = 3;

describe('conformance through one satellite, repeated and in parallel', () => {
  let sat: SatelliteProcess;
  let fixtureHttp: FixtureHttp;

  beforeAll(async () => {
    fixtureHttp = await startFixtureHttp();
    const dir = mkdtempSync(join(tmpdir(), 'satellite-conformance-'));
    const config = join(dir, 'mcp.json');
    writeFileSync(
      config,
      JSON.stringify({
        mcpServers: {
          fixture: { command: process.execPath, args: [FIXTURE_STDIO_ENTRY] },
          'fixture-http': { type: 'http', url: fixtureHttp.url },
        },
      }),
    );
    sat = await spawnSatellite({
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DEPLOYSTACK_MCP_CONFIG: config,
      DEPLOYSTACK_DATA_DIR: join(dir, 'data'),
      DEPLOYSTACK_SANDBOX: 'none',
      DEPLOYSTACK_ALLOW_UNSANDBOXED: 'true',
    });
  }, 60_000);
  afterAll(async () => {
    if (sat && sat.child.exitCode === null) {
      sat.child.kill('SIGTERM');
      await sat.exited;
    }
    await fixtureHttp?.stop();
  });

  for (const [label, slug] of [
    ['HTTP', 'fixture-http'],
    ['stdio', 'fixture'],
  ] as const) {
    it(`--suite all passes twice in a row against /i/${slug}/mcp (${label} upstream)`, async () => {
      for (const attempt of [1, 2]) {
        const r = await runConformance({
          url: `${sat.base}/i/${slug}/mcp`,
          suite: 'all',
          expectedFailuresFile: GATEWAY_EXPECTED_FAILURES_FILE,
        });
        console.log(
          `run ${attempt} via /i/${slug}/mcp: ${r.passed} passed, ${r.failed} failed, ${r.warnings} warnings, ${(r.durationMs / 1000).toFixed(1)} s`,
        );
        const failures = r.scenarios
          .flatMap((s) => s.checks.filter((c) => c.status === 'FAILURE'))
          .map((c) => `${c.id}: ${c.errorMessage ?? ''}`);
        expect({ attempt, failed: r.failed, failures, unexpected: r.baseline?.unexpected }).toEqual(
          { attempt, failed: 0, failures: [], unexpected: [] },
        );
        expect(r.passed).toBeGreaterThanOrEqual(GATEWAY_CHECKS_PASSED);
      }
    }, 120_000);
  }

  // Over HTTP the upstream sends a call's logs and questions on that call's own stream, so the
  // satellite knows whose they are. A stdio upstream's do not say (docs/routing.md): with calls
  // of several clients in flight it withholds them instead of guessing, which these scenarios
  // would count as failures.
  it(`${PARALLEL.length} clients at once, ${ROUNDS} rounds, against /i/fixture-http/mcp`, async () => {
    for (let round = 1; round <= ROUNDS; round++) {
      const results = await Promise.all(
        PARALLEL.map((scenario) =>
          runConformance({ url: `${sat.base}/i/fixture-http/mcp`, scenario }),
        ),
      );
      const summary = results.map((r, i) => ({
        scenario: PARALLEL[i],
        failed: r.failed,
        errors: r.scenarios.flatMap((s) =>
          s.checks
            .filter((c) => c.status === 'FAILURE' || c.status === 'WARNING')
            .map((c) => c.errorMessage ?? c.status),
        ),
      }));
      expect({ round, summary }).toEqual({
        round,
        summary: PARALLEL.map((scenario) => ({ scenario, failed: 0, errors: [] })),
      });
      expect(results.every((r) => r.passed > 0)).toBe(true);
    }
  }, 120_000);
});
