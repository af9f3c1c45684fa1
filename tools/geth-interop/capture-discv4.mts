/**
 * Discovery v4 against two real geth v1.8.27 nodes, by hand (CI cannot build geth): a Hush
 * discovery service with geth1 as its only bootnode must learn geth2 through geth1's
 * neighbors; every datagram the geths sent is printed and written as a fixture for
 * packages/transport-rlpx/test/rlpx-discv4-geth-replay.test.ts.
 *
 * Usage (from packages/transport-rlpx):
 *   npx tsx --conditions=@hush/source ../../tools/geth-interop/capture-discv4.mts <geth1 enode> <geth2 enode> [linger ms]
 */

import { randomBytes } from 'node:crypto';
import { Socket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { MemoryMetrics } from '../../packages/interface/src/index.ts';
import {
  decodePacket,
  discoveryV4,
  formatEnode,
  PacketType,
  parseEnode,
} from '../../packages/transport-rlpx/src/index.ts';

// An optional third argument: milliseconds to stay up after the lookups (for geth's revalidation).
const [geth1, geth2] = process.argv.slice(2);
if (!geth1 || !geth2) {
  console.error('usage: capture-discv4.mts <geth1 enode> <geth2 enode> [linger ms]');
  process.exit(2);
}
const g1 = parseEnode(geth1);
const g2 = parseEnode(geth2);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const names = ['', 'ping', 'pong', 'findnode', 'neighbors'];
const captured: { from: string; name: string; datagram: string }[] = [];
const sent: string[] = [];
const origEmit = Socket.prototype.emit;
Socket.prototype.emit = function (this: Socket, event: string | symbol, ...args: unknown[]) {
  if (event === 'message') {
    const [data, rinfo] = args as [Buffer, { address: string; port: number }];
    try {
      const p = decodePacket(new Uint8Array(data));
      const who =
        hex(p.publicKey.subarray(1)) === hex(g1.publicKey.subarray(1))
          ? 'geth1'
          : hex(p.publicKey.subarray(1)) === hex(g2.publicKey.subarray(1))
            ? 'geth2'
            : 'other';
      const n = names[p.body.type]!;
      console.log(
        `<< ${n} from ${who} ${rinfo.address}:${rinfo.port} (${data.length} bytes)` +
          (p.body.type === PacketType.Neighbors
            ? ` nodes=[${p.body.nodes.map((x) => `${hex(x.id).slice(0, 8)}…:${x.udp}`).join(', ')}]`
            : ''),
      );
      if (who !== 'other') captured.push({ from: who, name: n, datagram: hex(data) });
    } catch (e) {
      console.log('<< undecodable', (e as Error).message);
    }
  }
  return origEmit.call(this, event, ...args);
} as typeof Socket.prototype.emit;
const origSend = Socket.prototype.send;
Socket.prototype.send = function (this: Socket, ...args: unknown[]) {
  const p = decodePacket(new Uint8Array(args[0] as Uint8Array));
  sent.push(names[p.body.type]!);
  console.log(`>> ${names[p.body.type]} to ${args[2]}:${args[1]}`);
  return (origSend as (...a: unknown[]) => void).apply(this, args);
} as typeof Socket.prototype.send;

const metrics = new MemoryMetrics();
const d = discoveryV4({
  privateKey: new Uint8Array(randomBytes(32)),
  port: 30420,
  tcpPort: 30421,
  bootnodes: [geth1!],
  refreshIntervalMs: 3000,
  metrics,
});
d.onNode((n) => console.log('table += ', formatEnode(n)));
await d.start();
console.log('hush enode', d.enode);
const deadline = Date.now() + 60_000;
const has2 = () => d.nodes().some((n) => hex(n.publicKey) === hex(g2.publicKey));
while (!has2() && Date.now() < deadline) {
  const found = await d.lookup();
  console.log(
    'lookup ->',
    found.map((n) => `${formatEnode(n).slice(0, 24)}…:${n.discoveryPort ?? n.port}`).join(' '),
  );
  if (!has2()) await new Promise((r) => setTimeout(r, 2000));
}
console.log('learned geth2 through neighbors:', has2());
// Stay up so that both geths revalidate us (their logs: "Revalidated node … id=<ours>").
await new Promise((r) => setTimeout(r, Number(process.argv[4] ?? 0)));
console.log(
  'table:',
  d.nodes().map((n) => formatEnode(n)),
);
console.log(
  'dropped:',
  [
    'too-small',
    'bad-hash',
    'bad-signature',
    'bad-rlp',
    'expired',
    'unsolicited',
    'unbonded',
    'oversize',
  ]
    .map((r) => `${r}=${metrics.value('hush_discv4_dropped_total', { reason: r })}`)
    .join(' '),
);
await d.stop();
writeFileSync('/tmp/discv4-capture.json', JSON.stringify({ geth1, geth2, captured }, null, 2));
