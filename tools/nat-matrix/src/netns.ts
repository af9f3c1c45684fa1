/**
 * The matrix's network (namespaces, veth pairs, a bridge) and its NATs, built with `ip` and
 * `iptables` as root. Every name starts with `hnm-`, so leftovers of an earlier run are found
 * and removed.
 */
import { execFileSync } from 'node:child_process';

/** The NAT types between a contact and the "internet". */
export type NatType = 'full-cone' | 'address-restricted' | 'port-restricted' | 'symmetric';
export const NAT_TYPES: readonly NatType[] = [
  'full-cone',
  'address-restricted',
  'port-restricted',
  'symmetric',
];

export const PREFIX = 'hnm-';
export const INTERNET = `${PREFIX}inet`;
/** The internet's own address, where STUN, gossip and the relay listen. */
export const INTERNET_IP = '100.64.0.1';

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
const ns = (name: string, command: string, ...args: string[]) =>
  run('ip', ['netns', 'exec', name, command, ...args]);

/** Why the matrix cannot run here, or undefined when it can. */
export function unsupported(): string | undefined {
  if (process.getuid?.() !== 0) return 'the NAT matrix needs root (ip netns, iptables)';
  for (const tool of ['ip', 'iptables'])
    try {
      run('sh', ['-c', `command -v ${tool}`]);
    } catch {
      return `the NAT matrix needs ${tool} (apt-get install iproute2 iptables)`;
    }
  return undefined;
}

/** Removes every namespace of this tool (and so their veths and rules). */
export function cleanup(): void {
  let names: string[] = [];
  try {
    names = run('ip', ['netns', 'list'])
      .split('\n')
      .map((line) => line.split(' ')[0]!)
      .filter((name) => name.startsWith(PREFIX));
  } catch {
    return;
  }
  for (const name of names)
    try {
      run('ip', ['netns', 'del', name]);
    } catch {
      // Already gone.
    }
}

/** The internet: a namespace with a bridge every NAT's WAN side joins. */
export function buildInternet(): void {
  run('ip', ['netns', 'add', INTERNET]);
  ns(INTERNET, 'ip', 'link', 'set', 'lo', 'up');
  ns(INTERNET, 'ip', 'link', 'add', 'br0', 'type', 'bridge');
  ns(INTERNET, 'ip', 'addr', 'add', `${INTERNET_IP}/16`, 'dev', 'br0');
  ns(INTERNET, 'ip', 'link', 'set', 'br0', 'up');
}

/** Where a contact lives: its namespace, behind its NAT router's namespace. */
export interface Site {
  readonly contact: string;
  readonly router: string;
  readonly wanIp: string;
  readonly lanIp: string;
}

/**
 * A contact behind a NAT: `index` (1..200) picks its subnets (LAN 10.<index>.0.0/24, WAN
 * 100.64.<index>.1 on the bridge).
 */
export function buildSite(index: number, nat: NatType): Site {
  const router = `${PREFIX}r${index}`;
  const contact = `${PREFIX}c${index}`;
  const wanIp = `100.64.${index}.1`;
  const lanIp = `10.${index}.0.2`;
  const routerLan = `10.${index}.0.1`;
  run('ip', ['netns', 'add', router]);
  run('ip', ['netns', 'add', contact]);
  for (const name of [router, contact]) ns(name, 'ip', 'link', 'set', 'lo', 'up');
  // WAN: router <-> bridge.
  run('ip', ['link', 'add', `hnw${index}`, 'type', 'veth', 'peer', 'name', `hnwb${index}`]);
  run('ip', ['link', 'set', `hnw${index}`, 'netns', router]);
  run('ip', ['link', 'set', `hnwb${index}`, 'netns', INTERNET]);
  ns(INTERNET, 'ip', 'link', 'set', `hnwb${index}`, 'master', 'br0');
  ns(INTERNET, 'ip', 'link', 'set', `hnwb${index}`, 'up');
  ns(router, 'ip', 'link', 'set', `hnw${index}`, 'name', 'wan');
  ns(router, 'ip', 'addr', 'add', `${wanIp}/16`, 'dev', 'wan');
  ns(router, 'ip', 'link', 'set', 'wan', 'up');
  // LAN: router <-> contact.
  run('ip', ['link', 'add', `hnl${index}`, 'type', 'veth', 'peer', 'name', `hnlc${index}`]);
  run('ip', ['link', 'set', `hnl${index}`, 'netns', router]);
  run('ip', ['link', 'set', `hnlc${index}`, 'netns', contact]);
  ns(router, 'ip', 'link', 'set', `hnl${index}`, 'name', 'lan');
  ns(router, 'ip', 'addr', 'add', `${routerLan}/24`, 'dev', 'lan');
  ns(router, 'ip', 'link', 'set', 'lan', 'up');
  ns(contact, 'ip', 'link', 'set', `hnlc${index}`, 'name', 'eth0');
  ns(contact, 'ip', 'addr', 'add', `${lanIp}/24`, 'dev', 'eth0');
  ns(contact, 'ip', 'link', 'set', 'eth0', 'up');
  ns(contact, 'ip', 'route', 'add', 'default', 'via', routerLan);
  ns(router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  nat_(router, nat, wanIp, lanIp);
  return { contact, router, wanIp, lanIp };
}

function nat_(router: string, nat: NatType, wanIp: string, lanIp: string): void {
  const ipt = (...args: string[]) => ns(router, 'iptables', ...args);
  // TCP (gossip, the relay) leaves through an ordinary NAT in every case.
  ipt('-t', 'nat', '-A', 'POSTROUTING', '-o', 'wan', '-p', 'tcp', '-j', 'MASQUERADE');
  switch (nat) {
    case 'full-cone':
    case 'address-restricted':
      // One mapping per host port whatever the destination (SNAT keeps the port), and anyone
      // may send to it (DNAT back).
      ipt(
        '-t',
        'nat',
        '-A',
        'POSTROUTING',
        '-o',
        'wan',
        '-p',
        'udp',
        '-j',
        'SNAT',
        '--to-source',
        wanIp,
      );
      ipt(
        '-t',
        'nat',
        '-A',
        'PREROUTING',
        '-i',
        'wan',
        '-p',
        'udp',
        '-j',
        'DNAT',
        '--to-destination',
        lanIp,
      );
      if (nat === 'address-restricted') {
        // Only from addresses the host has sent to.
        ipt(
          '-A',
          'FORWARD',
          '-i',
          'lan',
          '-o',
          'wan',
          '-p',
          'udp',
          '-m',
          'recent',
          '--name',
          'contacted',
          '--rdest',
          '--set',
        );
        ipt(
          '-A',
          'FORWARD',
          '-i',
          'wan',
          '-p',
          'udp',
          '-m',
          'conntrack',
          '--ctstate',
          'ESTABLISHED,RELATED',
          '-j',
          'ACCEPT',
        );
        ipt(
          '-A',
          'FORWARD',
          '-i',
          'wan',
          '-p',
          'udp',
          '-m',
          'recent',
          '--name',
          'contacted',
          '--rcheck',
          '--rsource',
          '-j',
          'ACCEPT',
        );
        ipt('-A', 'FORWARD', '-i', 'wan', '-p', 'udp', '-j', 'DROP');
      }
      break;
    case 'port-restricted':
      // Linux keeps the source port (endpoint-independent mapping) and lets in only replies
      // from the address and port sent to.
      ipt('-t', 'nat', '-A', 'POSTROUTING', '-o', 'wan', '-p', 'udp', '-j', 'MASQUERADE');
      break;
    case 'symmetric':
      // A fresh random port per destination.
      ipt(
        '-t',
        'nat',
        '-A',
        'POSTROUTING',
        '-o',
        'wan',
        '-p',
        'udp',
        '-j',
        'MASQUERADE',
        '--random-fully',
      );
      break;
  }
  // The router itself serves nothing on its WAN side: like every home router's firewall, it
  // drops what arrives there unsolicited. Dropped before conntrack confirms it, such a packet
  // leaves no conntrack entry behind; accepted, it would (the router's own "connection" from the
  // sender to the WAN port) and the next mapping toward that sender from the same port would
  // lose the port, which no endpoint-independent NAT does (RFC 4787 §4.1).
  ns(
    router,
    'iptables',
    '-A',
    'INPUT',
    '-i',
    'wan',
    '-m',
    'conntrack',
    '--ctstate',
    'ESTABLISHED,RELATED',
    '-j',
    'ACCEPT',
  );
  ns(router, 'iptables', '-A', 'INPUT', '-i', 'wan', '-j', 'DROP');
  // The router's default route is the internet.
  ns(router, 'ip', 'route', 'add', 'default', 'via', INTERNET_IP);
}
