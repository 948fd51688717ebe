import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { Injectable, Logger } from '@nestjs/common';
import { describeNetwork, type NetworkSetting } from '../../config/network-setting.js';
import { SatelliteConfig } from '../../config/satellite-config.js';
import { SYSTEM_PATH } from '../clean-env.js';
import { HostFs } from '../host-fs.js';
import { SandboxUnavailableError } from '../process.errors.js';
import { HostProbe } from './host-probe.service.js';
import { hostEntries, nftRuleset } from './network-rules.js';

/** Where pasta answers DNS inside a sandbox (forwarded to the host's own resolver). */
export const SANDBOX_DNS_ADDRESS = '169.254.0.53';
const NETNS_DIR = '/run/netns';

/** The tools the egress network needs, found on the system PATH, or why it cannot be had. */
type NetTools =
  | { ip: string; nsenter: string; pasta: string; nft: string; reason?: undefined }
  | { reason: string };

/** A sandbox's own network: the wrapper that builds it, the file to bind as resolv.conf, cleanup. */
export interface NetworkJail {
  /** The command line that sets the namespace up, then execs `command` inside it. */
  readonly wrap: (command: string, args: readonly string[]) => { command: string; args: string[] };
  /** Host file to bind read-only at /etc/resolv.conf in the sandbox. */
  readonly resolvConf: string;
  /** Removes the namespace and the files; idempotent. */
  readonly release: () => void;
}

/**
 * The launch script (POSIX sh, run as the process-group leader before the cgroup join, so pasta
 * is killed with the group but not charged to the server's limits): create a named network
 * namespace, connect it with pasta (user-mode networking: the server's connections become the
 * satellite host's own sockets; `--no-map-gw` keeps host loopback out), wait for its default
 * route, load the nftables ruleset (host-name allow entries resolved here, on the host), then
 * exec the sandbox inside the namespace. Each failure says what failed on stderr and exits 125,
 * so the supervisor's start error carries it.
 */
const LAUNCH_SCRIPT = String.raw`
ns=$1 ip=$2 nsenter=$3 pasta=$4 nft=$5 rules=$6 hosts=$7 dns=$8
shift 8
fail() { echo "sandbox network: $*" >&2; exit 125; }
"$ip" netns add "$ns" 2>"$rules.err" || fail "cannot create network namespace $ns: $(cat "$rules.err")"
"$pasta" --config-net --no-map-gw -t none -u none -T none -U none -f -q --runas 0 --dns-forward "$dns" --netns "$ns" </dev/null >/dev/null 2>"$rules.pasta" &
p=$!
i=0
until [ -n "$("$ip" -n "$ns" route show default 2>/dev/null)$("$ip" -n "$ns" -6 route show default 2>/dev/null)" ]; do
  kill -0 "$p" 2>/dev/null || fail "pasta could not connect the sandbox (is there a default route on the host?): $(grep -v syslog "$rules.pasta" | tail -n 3)"
  i=$((i + 1)); [ "$i" -le 500 ] || fail "pasta did not bring the sandbox network up within 10 s"
  sleep 0.02
done
: >"$rules.hosts"
while read -r h ports; do
  [ -n "$h" ] || continue
  addrs=$(getent ahosts "$h" | cut -d' ' -f1 | sort -u)
  [ -n "$addrs" ] || fail "allow-list host $h does not resolve on the host"
  for a in $addrs; do
    case $a in *:*) fam=ip6 ;; *) fam=ip ;; esac
    m=''; [ "$ports" = '*' ] || m=" meta l4proto { tcp, udp } th dport $ports"
    echo "add rule inet dss_sandbox allowed $fam daddr $a$m accept" >>"$rules.hosts"
  done
done <"$hosts"
cat "$rules" "$rules.hosts" | "$nsenter" --net="/run/netns/$ns" "$nft" -f - 2>"$rules.err" || fail "cannot load the firewall rules: $(cat "$rules.err")"
exec "$nsenter" --net="/run/netns/$ns" -- "$@"
`;

/**
 * Outbound network for sandboxed servers with the host kept out (docs/process.md, "Network").
 * Each server that may use the network gets its own network namespace, connected by pasta
 * (Debian `passt`) and filtered by nftables inside the namespace. Needs a root satellite
 * (named namespaces, pasta attaching to them) and `pasta`, `nft`, `ip`, `nsenter` on the system
 * PATH; anything missing is a refusal with the reason, never a silent fallback to the host's
 * network.
 */
@Injectable()
export class SandboxNetwork {
  private readonly logger = new Logger(SandboxNetwork.name);
  private readonly runDir: string;
  /** Names this satellite's namespaces: a restarted one sweeps its own, never another's. */
  private readonly prefix: string;
  private tools?: NetTools;

  constructor(
    private readonly config: SatelliteConfig,
    private readonly probe: HostProbe,
    private readonly fs: HostFs,
  ) {
    this.runDir = join(config.dataDir, 'run', 'net');
    const hash = createHash('sha256').update(config.dataDir).digest('hex').slice(0, 8);
    this.prefix = `dss-${hash}-`;
  }

  /** Why egress cannot be enforced here, or undefined when it can. */
  unavailable(): string | undefined {
    return this.findTools().reason;
  }

  /** The setting in force for a server: its own, else the satellite's default. */
  effective(setting: NetworkSetting | undefined): NetworkSetting {
    return setting ?? this.config.process.network;
  }

  /**
   * A network jail for one spawn, or undefined for `none` (the driver then unshares an empty
   * namespace). Throws SandboxUnavailableError, with what to do, when egress cannot be enforced.
   */
  jail(setting: NetworkSetting, spawnName: string): NetworkJail | undefined {
    if (setting === 'none') return undefined;
    const tools = this.findTools();
    if (tools.reason !== undefined) {
      throw new SandboxUnavailableError(
        `network "${describeNetwork(setting)}" cannot be enforced here: ${tools.reason}. ` +
          'Set "network": "none" on the server (or DEPLOYSTACK_SANDBOX_NETWORK=none) to run it without network',
      );
    }
    this.fs.mkdir(this.runDir, 0o700);
    const resolvConf = join(this.runDir, 'resolv.conf');
    if (!this.fs.exists(resolvConf))
      this.fs.write(resolvConf, `nameserver ${SANDBOX_DNS_ADDRESS}\noptions edns0\n`, 0o644);
    const ns = `${this.prefix}${randomBytes(4).toString('hex')}`;
    const rules = join(this.runDir, `${ns}.nft`);
    const hosts = join(this.runDir, `${ns}.hosts`);
    this.fs.write(
      rules,
      nftRuleset({
        setting,
        dnsAddress: SANDBOX_DNS_ADDRESS,
        hostAddresses: hostAddresses(this.fs),
      }),
    );
    this.fs.write(hosts, hostEntries(setting));
    let released = false;
    return {
      resolvConf,
      wrap: (command, args) => ({
        command: '/bin/sh',
        args: [
          '-c',
          LAUNCH_SCRIPT,
          `dss-net:${spawnName}`,
          ns,
          tools.ip,
          tools.nsenter,
          tools.pasta,
          tools.nft,
          rules,
          hosts,
          SANDBOX_DNS_ADDRESS,
          command,
          ...args,
        ],
      }),
      release: () => {
        if (released) return;
        released = true;
        this.deleteNamespace(ns);
        for (const suffix of ['', '.hosts', '.err', '.pasta']) this.fs.remove(`${rules}${suffix}`);
        this.fs.remove(hosts);
      },
    };
  }

  /** Removes the namespaces a previous holder of the data directory left behind; returns how many. */
  sweep(): number {
    let count = 0;
    for (const name of this.fs.list(NETNS_DIR)) {
      if (!name.startsWith(this.prefix)) continue;
      this.deleteNamespace(name);
      count++;
    }
    for (const name of this.fs.list(this.runDir))
      if (name.startsWith(this.prefix)) this.fs.remove(join(this.runDir, name));
    if (count > 0) this.logger.warn(`removed ${count} leftover sandbox network namespace(s)`);
    return count;
  }

  private deleteNamespace(ns: string): void {
    const tools = this.findTools();
    if (tools.reason !== undefined) return;
    // pasta quits by itself when its namespace goes away.
    const child = spawn(tools.ip, ['netns', 'delete', ns], {
      stdio: 'ignore',
      env: { PATH: SYSTEM_PATH },
    });
    child.on('error', (err) => this.logger.warn(`ip netns delete ${ns}: ${err.message}`));
  }

  private findTools(): NetTools {
    if (this.tools) return this.tools;
    const missing: string[] = [];
    const find = (name: string, pkg: string): string => {
      const path = this.probe.which(name);
      if (!path) missing.push(`${name} (Debian package ${pkg})`);
      return path ?? '';
    };
    const pasta = find('pasta', 'passt');
    const nft = find('nft', 'nftables');
    const ip = find('ip', 'iproute2');
    const nsenter = find('nsenter', 'util-linux');
    if (!this.probe.isRoot())
      this.tools = {
        reason:
          'the satellite is not root (each sandbox network is a named network namespace that pasta attaches to)',
      };
    else if (missing.length > 0) this.tools = { reason: `not installed: ${missing.join(', ')}` };
    else this.tools = { ip, nsenter, pasta, nft };
    return this.tools;
  }
}

/** Every address of this host and its IPv4 default gateways: never reachable from a sandbox. */
export function hostAddresses(fs: HostFs): string[] {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) out.add(a.address.split('%')[0] ?? a.address);
  for (const gw of ipv4Gateways(fs.read('/proc/net/route') ?? '')) out.add(gw);
  return [...out].filter((a) => a !== '');
}

/** The gateways of IPv4 default routes, from the kernel's /proc/net/route table. */
export function ipv4Gateways(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const [, dest, gw] = line.trim().split(/\s+/);
    if (dest !== '00000000' || !gw || gw === '00000000') continue;
    const n = parseInt(gw, 16);
    out.push([n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255].join('.'));
  }
  return out;
}
