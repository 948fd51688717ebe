import { describe, expect, it } from '@jest/globals';
import { parseNetworkSetting } from '../../config/network-setting.js';
import { hostEntries, nftRuleset } from './network-rules.js';
import { ipv4Gateways } from './sandbox-network.js';

const setting = (raw: unknown) => {
  const problems: string[] = [];
  const s = parseNetworkSetting(raw, 'network', problems);
  if (!s || s === 'none' || problems.length > 0) throw new Error(problems.join('; '));
  return s;
};

describe('nftRuleset', () => {
  const host = ['127.0.0.1', '::1', '192.0.2.2', 'fd00::2', '203.0.113.9'];

  it('egress: DNS to the forwarder, then the host and every private range refused', () => {
    const rules = nftRuleset({
      setting: 'egress',
      dnsAddress: '169.254.0.53',
      hostAddresses: host,
    });
    expect(rules).toContain('ip daddr 169.254.0.53 meta l4proto { tcp, udp } th dport 53 accept');
    expect(rules).toMatch(/ip daddr \{ [^}]*10\.0\.0\.0\/8[^}]*169\.254\.0\.0\/16[^}]*\} reject/);
    // The host's own public addresses are refused; those inside a refused range are not listed
    // twice (nft refuses overlapping set elements).
    expect(rules).toMatch(/ip daddr \{[^}]*192\.0\.2\.2, 203\.0\.113\.9 \}/);
    expect(rules).not.toMatch(/127\.0\.0\.1[,\s]/);
    expect(rules).not.toContain('fd00::2');
    expect(rules.indexOf('th dport 53 accept')).toBeLessThan(rules.indexOf('reject'));
  });

  it('an allow-list accepts its CIDRs (with ports) and rejects everything else', () => {
    const rules = nftRuleset({
      setting: setting({ allow: ['10.1.2.3:5432', '2001:db8::/32', 'api.github.com:443'] }),
      dnsAddress: '169.254.0.53',
      hostAddresses: host,
    });
    expect(rules).toContain('ip daddr 10.1.2.3/32 meta l4proto { tcp, udp } th dport 5432 accept');
    expect(rules).toContain('ip6 daddr 2001:db8::/32 accept');
    expect(rules).toMatch(/jump allowed\n\s+reject with icmpx admin-prohibited/);
    expect(hostEntries(setting({ allow: ['api.github.com:443', 'x.org'] }))).toBe(
      'api.github.com 443\nx.org *\n',
    );
  });

  it('reads IPv4 default gateways from /proc/net/route', () => {
    const table =
      'Iface\tDestination\tGateway\tFlags\n' +
      'eth0\t00000000\t010200C0\t0003\n' +
      'eth0\t000200C0\t00000000\t0001\n';
    expect(ipv4Gateways(table)).toEqual(['192.0.2.1']);
  });
});
