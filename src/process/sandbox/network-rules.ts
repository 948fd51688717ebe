import { BlockList } from 'node:net';
import type { AllowEntry, NetworkSetting } from '../../config/network-setting.js';

/**
 * The nftables ruleset loaded into a sandbox's own network namespace (docs/process.md,
 * "Network"). It filters what the server sends; pasta carries the rest to the host's sockets.
 *
 * Order: the namespace's own loopback, DNS to pasta's forwarder, the explicit allow-list, then
 * either the reject of everything the host keeps out (`egress`) or of everything (allow-list).
 * A rejected connect fails at once (ICMP admin-prohibited, seen as EACCES/EHOSTUNREACH), so a
 * server that is denied says so instead of hanging until a timeout.
 */

/** Ranges never reached under `egress`: "this" network, RFC 1918, CGNAT, loopback, link-local
 * (cloud metadata included), IETF protocol assignments, benchmarking, multicast and reserved. */
export const BLOCKED_V4 = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '224.0.0.0/3',
];
/** Unspecified, loopback, IPv4-mapped, unique local (fc00::/7), link-local, multicast. */
export const BLOCKED_V6 = ['::/127', '::ffff:0:0/96', 'fc00::/7', 'fe80::/10', 'ff00::/8'];

const BLOCKED = new BlockList();
for (const cidr of BLOCKED_V4) addSubnet(cidr, 'ipv4');
// Not ::ffff:0:0/96: node's BlockList would match every IPv4 address against it.
for (const cidr of BLOCKED_V6) if (!cidr.startsWith('::ffff:')) addSubnet(cidr, 'ipv6');

function addSubnet(cidr: string, type: 'ipv4' | 'ipv6'): void {
  const [address = '', prefix = '0'] = cidr.split('/');
  BLOCKED.addSubnet(address, Number(prefix), type);
}

function family(address: string): 'ipv4' | 'ipv6' {
  return address.includes(':') ? 'ipv6' : 'ipv4';
}

export const NFT_TABLE = 'dss_sandbox';
/** The regular chain that allow-list entries given as host names are added to at launch. */
export const NFT_ALLOW_CHAIN = 'allowed';

export interface RulesInput {
  readonly setting: Exclude<NetworkSetting, 'none'>;
  /** The address inside the namespace where pasta answers DNS (forwarded to the host's resolver). */
  readonly dnsAddress: string;
  /** The host's own addresses and gateways: refused under `egress` whatever their range. */
  readonly hostAddresses: readonly string[];
}

export function nftRuleset(input: RulesInput): string {
  const { setting } = input;
  const egress = setting === 'egress' || setting.egress;
  const allow = setting === 'egress' ? [] : setting.allow;
  // nft refuses overlapping elements in one set: keep only host addresses no range covers.
  const host = [...new Set(input.hostAddresses)].filter((a) => !BLOCKED.check(a, family(a)));
  const host4 = host.filter((a) => family(a) === 'ipv4');
  const host6 = host.filter((a) => family(a) === 'ipv6');
  const dnsFamily = input.dnsAddress.includes(':') ? 'ip6' : 'ip';
  const lines = [
    `table inet ${NFT_TABLE} {`,
    `  chain ${NFT_ALLOW_CHAIN} {`,
    ...allow.filter((e) => e.cidr).map((e) => `    ${allowRule(e)}`),
    '  }',
    '  chain out {',
    '    type filter hook output priority 0; policy accept;',
    '    oifname "lo" accept',
    `    ${dnsFamily} daddr ${input.dnsAddress} meta l4proto { tcp, udp } th dport 53 accept`,
    `    jump ${NFT_ALLOW_CHAIN}`,
  ];
  if (egress) {
    lines.push(
      `    ip daddr { ${[...BLOCKED_V4, ...host4].join(', ')} } reject with icmpx admin-prohibited`,
      `    ip6 daddr { ${[...BLOCKED_V6, ...host6].join(', ')} } reject with icmpx admin-prohibited`,
    );
  } else {
    lines.push('    reject with icmpx admin-prohibited');
  }
  lines.push('  }', '}', '');
  return lines.join('\n');
}

/** One accept rule for a CIDR entry, or for one resolved address of a host-name entry. */
export function allowRule(entry: AllowEntry, address?: string): string {
  const target = address ?? `${entry.cidr?.address}/${entry.cidr?.prefix}`;
  const family = (address ?? entry.cidr?.address ?? '').includes(':') ? 'ip6' : 'ip';
  const ports = entry.ports ? ` meta l4proto { tcp, udp } th dport ${entry.ports}` : '';
  return `${family} daddr ${target}${ports} accept`;
}

/** Lines `host ports` (ports `*` for any) for the launch script to resolve and allow. */
export function hostEntries(setting: NetworkSetting): string {
  if (typeof setting === 'string') return '';
  return setting.allow
    .filter((e) => e.host)
    .map((e) => `${e.host} ${e.ports ?? '*'}\n`)
    .join('');
}
