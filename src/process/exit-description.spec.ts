import { describe, expect, it } from '@jest/globals';
import { sandboxHint } from './exit-description.js';

describe('sandboxHint', () => {
  it('names the network setting for an address the policy refuses, not for a public one', () => {
    expect(sandboxHint(['Error: connect EACCES 10.1.2.3:5432'])).toMatch(
      /refuses 10\.1\.2\.3.*"allow": \["10\.1\.2\.3:5432"\], "egress": true/,
    );
    expect(sandboxHint(['Error: connect ECONNREFUSED 93.184.216.34:443'])).toBeUndefined();
  });

  it('points at "network" for names that do not resolve, and at "mounts" for missing paths', () => {
    expect(sandboxHint(['Error: getaddrinfo EAI_AGAIN api.example.com'])).toMatch(/"none"/);
    expect(
      sandboxHint(["Error: ENOENT: no such file or directory, open '/srv/data/models.json'"]),
    ).toMatch(/\/srv\/data\/models\.json .*"mounts"/);
    expect(sandboxHint(['all fine'])).toBeUndefined();
  });
});
