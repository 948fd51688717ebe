// Invariant: the official MCP conformance suite passes through the gateway: `--suite all` against
// /i/{slug}/mcp with the fixture as a stdio and as an HTTP upstream, and the name-agnostic
// scenarios against /mcp itself.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Satellite, startSatellite } from '../support/satellite.js';
import { FIXTURE_STDIO_ENTRY, type FixtureHttp, startFixtureHttp } from './fixture-process.js';
import {
  GATEWAY_CHECKS_PASSED,
  GATEWAY_EXPECTED_FAILURES_FILE,
  runConformance,
} from './run-conformance.js';

/** Scenarios that don't depend on fixture names, so they apply to the meta-tool endpoint. */
const NAME_AGNOSTIC = [
  'server-initialize',
  'ping',
  'tools-list',
  'server-sse-multiple-streams',
  'dns-rebinding-protection',
];

describe('MCP conformance suite through the satellite', () => {
  let sat: Satellite;
  let fixtureHttp: FixtureHttp;

  beforeAll(async () => {
    fixtureHttp = await startFixtureHttp();
    sat = await startSatellite({
      fixture: { command: process.execPath, args: [FIXTURE_STDIO_ENTRY] },
      'fixture-http': { type: 'http', url: fixtureHttp.url },
    });
  }, 60_000);
  afterAll(async () => {
    await sat?.stop();
    await fixtureHttp?.stop();
  });

  for (const [label, slug] of [
    ['stdio', 'fixture'],
    ['HTTP', 'fixture-http'],
  ] as const) {
    it(`--suite all passes against /i/${slug}/mcp (${label} upstream)`, async () => {
      const result = await runConformance({
        url: `${sat.baseUrl}/i/${slug}/mcp`,
        suite: 'all',
        expectedFailuresFile: GATEWAY_EXPECTED_FAILURES_FILE,
      });
      console.log(
        `conformance via /i/${slug}/mcp (${label} upstream): ${result.scenarios.length} scenarios, ` +
          `${result.passed} checks passed, ${result.failed} failed, ${result.warnings} warnings, ${(result.durationMs / 1000).toFixed(1)} s`,
      );
      expect({
        failed: result.failed,
        unexpected: result.baseline?.unexpected ?? [],
        exit: result.exitCode,
      }).toEqual({ failed: 0, unexpected: [], exit: 0 });
      expect(result.passed).toBeGreaterThanOrEqual(GATEWAY_CHECKS_PASSED);
    }, 120_000);
  }

  it('the name-agnostic scenarios pass against /mcp', async () => {
    const summary: string[] = [];
    for (const scenario of NAME_AGNOSTIC) {
      const result = await runConformance({ url: sat.mcpUrl, scenario });
      summary.push(`${scenario} ${result.passed}/${result.passed + result.failed}`);
      expect({ scenario, failed: result.failed, passed: result.passed > 0 }).toEqual({
        scenario,
        failed: 0,
        passed: true,
      });
    }
    console.log(`conformance via /mcp: ${summary.join(', ')}`);
  }, 120_000);
});
