/**
 * specs/rlpx SPEC §10 over real UDP on loopback: three Hush discovery services find each
 * other through a bootnode; bad datagrams are dropped and counted while the service keeps
 * answering; findnode is answered only after the endpoint proof, with neighbors split as
 * geth splits them; stop() frees the port and every timer.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { defaultBackend, randomBytes } from '@hush/crypto';
import { type Clock, MemoryMetrics, systemClock, type TimerHandle } from '@hush/interface';
import { waitFor } from '@hush/interface-compliance';
import { keccak256 } from '@hush/keccak';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type DecodedPacket,
  type DiscoveryV4,
  decodePacket,
  discoveryV4,
  encodePacket,
  formatEnode,
  LOOKUP_MAX_QUERIES,
  MAX_NEIGHBORS,
  type PacketBody,
  PacketType,
  parseEnode,
  RlpxError,
} from '../src/index.js';

const LOOP = Uint8Array.of(127, 0, 0, 1);
const started: DiscoveryV4[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
  for (const s of sockets.splice(0)) s.close();
});

function key(): Uint8Array {
  for (;;) {
    const k = randomBytes(32);
    if (defaultBackend.isValidPrivateKey(k)) return k;
  }
}

async function service(
  options: Partial<Parameters<typeof discoveryV4>[0]> = {},
): Promise<DiscoveryV4> {
  const s = discoveryV4({ privateKey: key(), port: 0, tcpPort: 30399, ...options });
  started.push(s);
  await s.start();
  return s;
}

const expiration = () => Math.floor(Date.now() / 1000) + 20;

/** A raw UDP peer with its own key that records what it receives and answers pings. */
async function rawPeer(answer = true) {
  const state = { answerPings: answer };
  const privateKey = key();
  const publicKey = defaultBackend.publicKeyCreate(privateKey);
  const socket = createSocket('udp4');
  sockets.push(socket);
  const received: DecodedPacket[] = [];
  const sizes: number[] = [];
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  const sendRaw = (bytes: Uint8Array, to: number) => socket.send(bytes, to, '127.0.0.1');
  const send = (body: PacketBody, to: number) => {
    const { packet, hash } = encodePacket(body, privateKey);
    sendRaw(packet, to);
    return hash;
  };
  socket.on('message', (data: Buffer, rinfo: RemoteInfo) => {
    const packet = decodePacket(new Uint8Array(data));
    received.push(packet);
    sizes.push(data.length);
    if (state.answerPings && packet.body.type === PacketType.Ping)
      send(
        {
          type: PacketType.Pong,
          to: { ip: LOOP, udp: rinfo.port, tcp: 0 },
          replyToken: packet.hash,
          expiration: expiration(),
        },
        rinfo.port,
      );
  });
  const ping = (to: number) =>
    send(
      {
        type: PacketType.Ping,
        version: 4,
        from: { ip: LOOP, udp: port, tcp: port },
        to: { ip: LOOP, udp: to, tcp: 0 },
        expiration: expiration(),
      },
      to,
    );
  const of = (type: PacketType) => received.filter((p) => p.body.type === type);
  return { privateKey, publicKey, port, socket, received, sizes, send, sendRaw, ping, of, state };
}

/** Pings `to` and waits for the pong and its ping back being answered: a bonded peer. */
async function bond(peer: Awaited<ReturnType<typeof rawPeer>>, to: DiscoveryV4) {
  const pongs = peer.of(PacketType.Pong).length;
  const pings = peer.of(PacketType.Ping).length;
  peer.ping(to.port);
  await waitFor(
    () => peer.of(PacketType.Pong).length > pongs && peer.of(PacketType.Ping).length > pings,
    'the pong and the ping back',
    5000,
  );
}

function dropped(metrics: MemoryMetrics, reason: string): number {
  return metrics.value('hush_discv4_dropped_total', { reason });
}

describe('discovery v4 over UDP (SPEC §10)', () => {
  it('three services find each other through a bootnode', async () => {
    const b = await service();
    const a = await service({ bootnodes: [b.enode], refreshIntervalMs: 60_000 });
    const c = await service({ bootnodes: [b.enode], refreshIntervalMs: 60_000 });
    const has = (s: DiscoveryV4, other: DiscoveryV4) =>
      s.nodes().some((n) => formatEnode(n) === other.enode);
    const announced: string[] = [];
    a.onNode((n) => announced.push(formatEnode(n)));
    await waitFor(
      async () => {
        await a.lookup();
        await c.lookup();
        return has(a, c) && has(c, a);
      },
      'A and C in each other’s tables',
      15_000,
    );
    expect(has(a, b)).toBe(true);
    expect(has(b, a) && has(b, c)).toBe(true);
    expect(announced).toContain(c.enode);
    // Each node is announced once.
    expect(new Set(announced).size).toBe(announced.length);
    // The enode URLs carry the UDP port apart from the TCP one.
    expect(a.enode).toMatch(/@127\.0\.0\.1:30399\?discport=\d+$/);
    // A lookup of C's key from A ends with C nearest.
    const found = await a.lookup(parseEnode(c.enode).publicKey);
    expect(formatEnode(found[0]!)).toBe(c.enode);
  });

  it('drops and counts bad datagrams, never answers an unbonded findnode, and keeps serving', async () => {
    const metrics = new MemoryMetrics();
    const s = await service({ metrics });
    const peer = await rawPeer();
    const good = encodePacket(
      {
        type: PacketType.Ping,
        version: 4,
        from: { ip: LOOP, udp: peer.port, tcp: 1 },
        to: { ip: LOOP, udp: s.port, tcp: 0 },
        expiration: expiration(),
      },
      peer.privateKey,
    ).packet;
    peer.sendRaw(Uint8Array.of(1, 2, 3), s.port); // garbage
    peer.sendRaw(good.subarray(0, 60), s.port); // truncated
    const badHash = good.slice();
    badHash[5]! ^= 0xff;
    peer.sendRaw(badHash, s.port);
    const badSig = good.slice();
    badSig[32 + 64] = 9;
    badSig.set(keccak256(badSig.subarray(32)), 0);
    peer.sendRaw(badSig, s.port);
    const badRlp = good.slice(0, 98);
    badRlp[97] = PacketType.Ping;
    const unsignedRlp = new Uint8Array([...badRlp, 0xc3, 0x01]);
    const resigned = resign(unsignedRlp, peer.privateKey);
    peer.sendRaw(resigned, s.port);
    peer.send(
      {
        type: PacketType.Ping,
        version: 4,
        from: { ip: LOOP, udp: peer.port, tcp: 1 },
        to: { ip: LOOP, udp: s.port, tcp: 0 },
        expiration: Math.floor(Date.now() / 1000) - 1,
      },
      s.port,
    ); // expired
    peer.sendRaw(new Uint8Array(1400), s.port); // oversize
    peer.send(
      { type: PacketType.FindNode, target: peer.publicKey.subarray(1), expiration: expiration() },
      s.port,
    ); // unbonded
    peer.send(
      {
        type: PacketType.Pong,
        to: { ip: LOOP, udp: peer.port, tcp: 0 },
        replyToken: new Uint8Array(32),
        expiration: expiration(),
      },
      s.port,
    ); // unsolicited
    await waitFor(
      () =>
        [
          'too-small',
          'bad-hash',
          'bad-signature',
          'bad-rlp',
          'expired',
          'oversize',
          'unbonded',
          'unsolicited',
        ].every((r) => dropped(metrics, r) >= 1),
      'every bad datagram counted',
      5000,
    );
    expect(dropped(metrics, 'too-small')).toBe(2); // the garbage and the truncated packet
    expect(peer.received).toHaveLength(0);
    // Still serving: a good ping is answered (and pinged back, geth's endpoint proof).
    await bond(peer, s);
    expect(peer.of(PacketType.Neighbors)).toHaveLength(0);
    // Once bonded, the same findnode is answered with one (empty-table-but-us) neighbors packet.
    peer.send(
      { type: PacketType.FindNode, target: peer.publicKey.subarray(1), expiration: expiration() },
      s.port,
    );
    await waitFor(() => peer.of(PacketType.Neighbors).length === 1, 'neighbors', 5000);
  });

  it(`answers findnode with neighbors split as geth (${MAX_NEIGHBORS} a packet, ≤ 1280 bytes)`, async () => {
    const s = await service();
    const peers = await Promise.all(Array.from({ length: 20 }, () => rawPeer()));
    for (const p of peers) await bond(p, s);
    await waitFor(() => s.nodes().length === 20, '20 nodes in the table', 5000);
    const asker = peers[0]!;
    const target = peers[1]!.publicKey.subarray(1);
    asker.send({ type: PacketType.FindNode, target, expiration: expiration() }, s.port);
    await waitFor(
      () =>
        asker
          .of(PacketType.Neighbors)
          .reduce(
            (n, p) => n + (p.body.type === PacketType.Neighbors ? p.body.nodes.length : 0),
            0,
          ) === 16,
      '16 neighbors',
      5000,
    );
    const packets = asker.of(PacketType.Neighbors);
    expect(
      packets.map((p) => (p.body.type === PacketType.Neighbors ? p.body.nodes.length : -1)),
    ).toEqual([12, 4]);
    const neighborSizes = asker.received
      .map((p, i) => (p.body.type === PacketType.Neighbors ? asker.sizes[i]! : 0))
      .filter((n) => n > 0);
    for (const size of neighborSizes) expect(size).toBeLessThanOrEqual(1280);
    // The nearest of the target is the target itself.
    const first = packets[0]!.body;
    expect(
      first.type === PacketType.Neighbors &&
        Buffer.from(first.nodes[0]!.id).equals(Buffer.from(target)),
    ).toBe(true);
  });

  it('pings back a node that pings again and again once, not once per ping', async () => {
    const s = await service();
    const peer = await rawPeer(false); // never answers, so every ping finds it unbonded
    for (let i = 0; i < 5; i++) peer.ping(s.port);
    await waitFor(() => peer.of(PacketType.Pong).length === 5, 'five pongs', 5000);
    // One more round trip: the pings back of the first five came before its pong. (It is
    // pinged back itself only if the first ping back had already timed out.)
    peer.ping(s.port);
    await waitFor(() => peer.of(PacketType.Pong).length === 6, 'the sixth pong', 5000);
    expect(peer.of(PacketType.Ping).length).toBeGreaterThanOrEqual(1);
    expect(peer.of(PacketType.Ping).length).toBeLessThanOrEqual(2);
  });

  it('keeps at most maxBondRecords bonds: pings under fresh ids cannot grow memory', async () => {
    const metrics = new MemoryMetrics();
    const s = await service({ metrics, maxBondRecords: 2 });
    const a = await rawPeer();
    await bond(a, s);
    // A stops answering, so a revalidation ping cannot bond it again behind the test's back.
    a.state.answerPings = false;
    for (let i = 0; i < 3; i++) await bond(await rawPeer(), s);
    a.send(
      { type: PacketType.FindNode, target: a.publicKey.subarray(1), expiration: expiration() },
      s.port,
    );
    // A's bond was the oldest of three and was forgotten: its findnode is unbonded.
    await waitFor(() => dropped(metrics, 'unbonded') === 1, 'the findnode refused', 5000);
    expect(a.of(PacketType.Neighbors)).toHaveLength(0);
    // It bonds again as any node would, and is answered.
    a.state.answerPings = true;
    await bond(a, s);
    a.send(
      { type: PacketType.FindNode, target: a.publicKey.subarray(1), expiration: expiration() },
      s.port,
    );
    await waitFor(
      () => a.of(PacketType.Neighbors).length === 1,
      'neighbors after re-bonding',
      5000,
    );
  });

  it(`ends a lookup after ${LOOKUP_MAX_QUERIES} queries however many nearer nodes peers offer`, async () => {
    const s = await service();
    const target = key();
    const targetKey = defaultBackend.publicKeyCreate(target).subarray(1);
    const targetId = keccak256(targetKey);
    // Fake nodes, each on its own socket, farthest from the target first: each answers a
    // findnode with the next three, nearer than all before (three, so that one answer lost
    // to a slow machine does not end the chain), padded to a full answer of 16 with the first
    // fakes (already seen) so that nobody waits out a timeout.
    const fakes = await Promise.all(
      Array.from({ length: LOOKUP_MAX_QUERIES + 30 }, () => rawPeer()),
    );
    const distance = (p: (typeof fakes)[number]) =>
      Buffer.from(keccak256(p.publicKey.subarray(1)).map((b, i) => b ^ targetId[i]!));
    fakes.sort((x, y) => Buffer.compare(distance(y), distance(x)));
    let findnodes = 0;
    fakes.forEach((fake, i) => {
      const next = [...fakes.slice(i + 1, i + 4), ...fakes.slice(0, 15)]
        .slice(0, 16)
        .map((n) => ({ ip: LOOP, udp: n.port, tcp: n.port, id: n.publicKey.subarray(1) }));
      fake.socket.on('message', (data: Buffer, rinfo: RemoteInfo) => {
        const packet = decodePacket(new Uint8Array(data));
        if (packet.body.type === PacketType.Ping) fake.ping(rinfo.port);
        if (packet.body.type !== PacketType.FindNode) return;
        findnodes++;
        for (const nodes of [next.slice(0, MAX_NEIGHBORS), next.slice(MAX_NEIGHBORS)])
          fake.send({ type: PacketType.Neighbors, nodes, expiration: expiration() }, rinfo.port);
      });
    });
    await bond(fakes[0]!, s);
    await waitFor(() => s.nodes().length === 1, 'the first fake in the table', 5000);
    await s.lookup(targetKey);
    // The chain was followed (every fake answers), and cut at the bound.
    expect(findnodes).toBeGreaterThan(LOOKUP_MAX_QUERIES / 2);
    expect(findnodes).toBeLessThanOrEqual(LOOKUP_MAX_QUERIES);
  });

  it('stop() frees the port and every timer, and is idempotent', async () => {
    const live = new Set<TimerHandle>();
    const clock: Clock = {
      now: () => systemClock.now(),
      setTimeout(callback, ms) {
        const handle: TimerHandle = systemClock.setTimeout(() => {
          live.delete(handle);
          callback();
        }, ms);
        live.add(handle);
        return handle;
      },
      clearTimeout(handle) {
        live.delete(handle);
        systemClock.clearTimeout(handle);
      },
      setInterval(callback, ms) {
        const handle = systemClock.setInterval(callback, ms);
        live.add(handle);
        return handle;
      },
      clearInterval(handle) {
        live.delete(handle);
        systemClock.clearInterval(handle);
      },
    };
    const peer = await rawPeer(false); // never answers: lookups wait on their timers
    const s = discoveryV4({
      privateKey: key(),
      port: 0,
      tcpPort: 30399,
      clock,
      bootnodes: [formatEnode({ publicKey: peer.publicKey, host: '127.0.0.1', port: peer.port })],
    });
    await s.start();
    await s.start();
    const port = s.port;
    expect(live.size).toBeGreaterThan(0);
    const lookup = s.lookup();
    await s.stop();
    await s.stop();
    expect(await lookup).toEqual([]);
    expect(live.size).toBe(0);
    const again = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.bind(port, '127.0.0.1', resolve);
    });
    again.close();
    await expect(s.start()).rejects.toThrow(/stopped/);
  });

  it('refuses bad arguments with typed errors', () => {
    expect(() => discoveryV4({ privateKey: new Uint8Array(32), tcpPort: 1 })).toThrow(TypeError);
    expect(() => discoveryV4({ privateKey: key(), tcpPort: 70000 })).toThrow(RangeError);
    expect(() => discoveryV4({ privateKey: key(), tcpPort: 1, host: 'localhost' })).toThrow(
      TypeError,
    );
    const bad = () => discoveryV4({ privateKey: key(), tcpPort: 1, bootnodes: ['enode://nope'] });
    expect(bad).toThrow(RlpxError);
    try {
      bad();
    } catch (error) {
      expect((error as RlpxError).code).toBe('bad-enode');
    }
  });
});

/** A datagram whose signature and hash are right over arbitrary signed bytes. */
function resign(unsigned: Uint8Array, privateKey: Uint8Array): Uint8Array {
  const out = unsigned.slice();
  out.set(defaultBackend.signRecoverable(keccak256(out.subarray(97)), privateKey), 32);
  out.set(keccak256(out.subarray(32)), 0);
  return out;
}
