/**
 * IP addresses as discovery v4 carries them (specs/rlpx SPEC §10.1, §10.5): 4 bytes for IPv4
 * and 16 for IPv6 on the wire, text elsewhere; and the address classes geth v1.8.27's
 * `p2p/netutil/net.go` uses to decide which relayed addresses to believe (`CheckRelayIP`)
 * and which are exempt from the table's subnet limits (`IsLAN`).
 */
import { isIPv4, isIPv6 } from 'node:net';

function parseV4(text: string): number[] {
  return text.split('.').map(Number);
}

/**
 * The wire form of an IP address: 4 bytes for IPv4 (and IPv4-mapped IPv6, as geth's `To4`),
 * 16 for IPv6.
 *
 * @throws TypeError if `text` is not an IP address
 */
export function ipToBytes(text: string): Uint8Array {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (isIPv4(bare)) return Uint8Array.from(parseV4(bare));
  if (!isIPv6(bare)) throw new TypeError(`not an IP address: ${text}`);
  const zone = bare.indexOf('%');
  let body = zone >= 0 ? bare.slice(0, zone) : bare;
  const tail: number[] = [];
  const lastColon = body.lastIndexOf(':');
  if (body.slice(lastColon + 1).includes('.')) {
    const v4 = parseV4(body.slice(lastColon + 1));
    tail.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    // The dotted quad stands for the last two words.
    body = `${body.slice(0, lastColon + 1)}0:0`;
  }
  const [head, after] = body.includes('::') ? body.split('::') : [body, undefined];
  const groups = (s: string | undefined) =>
    s === undefined || s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16));
  let words: number[];
  if (after === undefined) words = groups(head);
  else {
    const a = groups(head);
    const b = groups(after);
    words = [...a, ...new Array<number>(8 - a.length - b.length).fill(0), ...b];
  }
  if (tail.length === 2) words.splice(6, 2, tail[0]!, tail[1]!);
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  const mapped = out.subarray(0, 10).every((b) => b === 0) && out[10] === 0xff && out[11] === 0xff;
  return mapped ? out.slice(12) : out;
}

/** The IPv4 form of 4 bytes or of an IPv4-mapped 16, as geth's `To4`; else undefined. */
function to4(ip: Uint8Array): Uint8Array | undefined {
  if (ip.length === 4) return ip;
  if (
    ip.length === 16 &&
    ip.subarray(0, 10).every((b) => b === 0) &&
    ip[10] === 0xff &&
    ip[11] === 0xff
  )
    return ip.subarray(12);
  return undefined;
}

/**
 * The text form of a wire IP: dotted quad for 4 bytes (or IPv4-mapped 16), RFC 5952 for 16.
 *
 * @throws RangeError for a length other than 4 or 16
 */
export function ipToString(ip: Uint8Array): string {
  const v4 = to4(ip);
  if (v4) return Array.from(v4).join('.');
  if (ip.length !== 16) throw new RangeError('an IP is 4 or 16 bytes');
  const words = Array.from({ length: 8 }, (_, i) => (ip[2 * i]! << 8) | ip[2 * i + 1]!);
  // The longest run of two or more zero words becomes '::'.
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  if (best < 0) return hex(words);
  return `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLength))}`;
}

type Net = readonly [bytes: readonly number[], bits: number];

function inNet(ip: Uint8Array, nets: readonly Net[]): boolean {
  return nets.some(([prefix, bits]) => {
    for (let i = 0; i < bits; i++) {
      const mask = 0x80 >> (i % 8);
      if ((ip[i >> 3]! & mask) !== ((prefix[i >> 3] ?? 0) & mask)) return false;
    }
    return true;
  });
}

const LAN4: readonly Net[] = [
  [[0], 8],
  [[10], 8],
  [[172, 16], 12],
  [[192, 168], 16],
];
const LAN6: readonly Net[] = [
  [[0xfe, 0x80], 10],
  [[0xfc], 7],
];
const SPECIAL4: readonly Net[] = [
  [[192, 0, 0, 0], 29],
  [[192, 0, 0, 9], 32],
  [[192, 0, 0, 170], 32],
  [[192, 0, 0, 171], 32],
  [[192, 0, 2], 24],
  [[192, 31, 196], 24],
  [[192, 52, 193], 24],
  [[192, 88, 99], 24],
  [[192, 175, 48], 24],
  [[198, 18], 15],
  [[198, 51, 100], 24],
  [[203, 0, 113], 24],
  [[255, 255, 255, 255], 32],
];
const SPECIAL6: readonly Net[] = [
  [[0x01, 0x00, 0, 0, 0, 0, 0, 0], 64],
  [[0x20, 0x01, 0, 0], 32],
  [[0x20, 0x01, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 128],
  [[0x20, 0x01, 0, 2, 0, 0], 48],
  [[0x20, 0x01, 0, 3], 32],
  [[0x20, 0x01, 0, 4, 0x01, 0x12], 48],
  [[0x20, 0x01, 0, 5], 32],
  [[0x20, 0x01, 0, 0x10], 28],
  [[0x20, 0x01, 0, 0x20], 28],
  [[0x20, 0x01, 0x0d, 0xb8], 32],
  [[0x20, 0x02], 16],
];

function isLoopback(ip: Uint8Array): boolean {
  const v4 = to4(ip);
  if (v4) return v4[0] === 127;
  return ip.length === 16 && ip.subarray(0, 15).every((b) => b === 0) && ip[15] === 1;
}

/** geth's `IsLAN`: loopback, 0/8, 10/8, 172.16/12, 192.168/16, fe80::/10, fc00::/7. */
export function isLan(ip: Uint8Array): boolean {
  if (isLoopback(ip)) return true;
  const v4 = to4(ip);
  return v4 ? inNet(v4, LAN4) : ip.length === 16 && inNet(ip, LAN6);
}

function isSpecial(ip: Uint8Array): boolean {
  const v4 = to4(ip);
  if (v4) return v4[0]! >= 224 && v4[0]! < 240 ? true : inNet(v4, SPECIAL4);
  return ip[0] === 0xff || inNet(ip, SPECIAL6);
}

/**
 * geth's `CheckRelayIP`: why an address relayed by `sender` (in a neighbors packet) is not a
 * node to believe, or undefined when it is.
 */
export function relayFault(sender: Uint8Array, addr: Uint8Array): string | undefined {
  if (addr.length !== 4 && addr.length !== 16) return 'invalid IP';
  if (addr.every((b) => b === 0)) return 'zero address';
  if (isSpecial(addr)) return 'special network';
  if (isLoopback(addr) && !isLoopback(sender)) return 'loopback address from non-loopback host';
  if (isLan(addr) && !isLan(sender)) return 'LAN address from WAN host';
  return undefined;
}

/** geth's `DistinctNetSet` key for a /24: the family and the first 3 bytes. */
export function subnet24(ip: Uint8Array): string {
  const v4 = to4(ip);
  const bytes = v4 ?? ip;
  return `${v4 ? '4' : '6'}:${Array.from(bytes.subarray(0, 3)).join('.')}`;
}
