import { describe, expect, it } from '@jest/globals';
import { parseAllowEntry, parseNetworkSetting } from './network-setting.js';

describe('network setting', () => {
  it('reads hosts, addresses and CIDRs with optional ports and port ranges', () => {
    expect(parseAllowEntry('api.github.com:443')).toMatchObject({
      host: 'api.github.com',
      ports: '443',
    });
    expect(parseAllowEntry('10.1.0.0/16')).toMatchObject({
      cidr: { address: '10.1.0.0', prefix: 16, family: 4 },
    });
    expect(parseAllowEntry('10.1.2.3:5432')).toMatchObject({
      cidr: { address: '10.1.2.3', prefix: 32 },
      ports: '5432',
    });
    expect(parseAllowEntry('[2001:db8::/32]:8000-8100')).toMatchObject({
      cidr: { family: 6, prefix: 32 },
      ports: '8000-8100',
    });
    expect(parseAllowEntry('2001:db8::1')).toMatchObject({ cidr: { family: 6, prefix: 128 } });
  });

  it('refuses what is not a host, an address or a port, with the entry in the message', () => {
    for (const bad of ['http://x.com', 'a b', '10.0.0.0/40', 'x.com:0', 'x.com:70000', '1.2.3', ''])
      expect(typeof parseAllowEntry(bad)).toBe('string');
  });

  it('takes "none", "egress" or {allow, egress}; every problem is reported with its place', () => {
    const problems: string[] = [];
    expect(parseNetworkSetting('none', 'n', problems)).toBe('none');
    expect(parseNetworkSetting(undefined, 'n', problems)).toBeUndefined();
    expect(parseNetworkSetting({ allow: ['x.com'], egress: true }, 'n', problems)).toMatchObject({
      egress: true,
      allow: [{ host: 'x.com' }],
    });
    expect(problems).toEqual([]);
    parseNetworkSetting('open', 'a', problems);
    parseNetworkSetting({ allow: ['ok.com', 'bad host'] }, 'b', problems);
    parseNetworkSetting({ allow: [], extra: 1 }, 'c', problems);
    expect(problems).toHaveLength(3);
    expect(problems[1]).toMatch(/^b\.allow\[1\]: "bad host"/);
  });
});
