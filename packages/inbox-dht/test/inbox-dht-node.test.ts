/**
 * specs/inbox-dht/SPEC.md §3 over real links: requests and answers as frames of a Noise link
 * named `hush-dht/1` over in-memory channel pairs (ids matched, unknown ids ignored, wrong
 * types, timeouts on a ManualClock, requests in flight bounded, malformed frames closing the
 * connection, all counted).
 */
import { randomBytes, secp256k1Identity, secp256k1Verifier } from '@hush/crypto';
import { type Connection, ManualClock, MemoryMetrics, type PeerId } from '@hush/interface';
import { rawChannelPair } from '@hush/interface-compliance';
import { describe, expect, it } from 'vitest';
// @hush/noise is not a dependency of the package (the node passes its encrypter): the test
// reaches the sources.
import { noiseLinkEncrypter } from '../../noise/src/index.js';
import {
  ConnectionRpc,
  type Contact,
  contactOf,
  DHT_LINK_PROTOCOL,
  DhtError,
  DhtRouter,
  type DhtServer,
  dhtLinkEncrypter,
  encodeMessage,
  MessageType,
  RpcConnection,
  routerServer,
} from '../src/index.js';

const verifier = secp256k1Verifier();

/** A node's identity and its `hush-dht/1` encrypter. */
function party() {
  const identity = secp256k1Identity(randomBytes(32));
  const encrypter = dhtLinkEncrypter(noiseLinkEncrypter, {
    identity,
    verifier,
    staticKey: randomBytes(32),
  });
  return { identity, encrypter, peer: identity.peerId as PeerId };
}
type Party = ReturnType<typeof party>;

/** An authenticated connection pair between two parties over an in-memory channel pair. */
async function link(a: Party, b: Party): Promise<[Connection, Connection]> {
  const [ra, rb] = rawChannelPair();
  return Promise.all([
    a.encrypter.secureOutbound(ra, { remotePeer: b.peer }),
    b.encrypter.secureInbound(rb),
  ]);
}

const code = (c: string) => expect.objectContaining({ name: 'DhtError', code: c });

describe('the hush-dht/1 link', () => {
  it('names its protocol, and never completes with a link of another protocol', async () => {
    const a = party();
    expect(a.encrypter.protocol).toContain(DHT_LINK_PROTOCOL);
    const identity = secp256k1Identity(randomBytes(32));
    const gossip = noiseLinkEncrypter({
      identity,
      verifier,
      staticKey: randomBytes(32),
      protocol: 'hush-gossip/2',
    });
    const [ra, rb] = rawChannelPair();
    const results = await Promise.allSettled([
      a.encrypter.secureOutbound(ra),
      gossip.secureInbound(rb),
    ]);
    expect(results.some((r) => r.status === 'rejected')).toBe(true);
  });
});

describe('ConnectionRpc (§3.1)', () => {
  it('sends FIND_NODE and PING as frames of the link, served by the router', async () => {
    const a = party();
    const b = party();
    const connections = new Map<PeerId, Connection>();
    const rpcA = new ConnectionRpc({
      dial: async (contact) => {
        const [outbound, inbound] = await link(a, b);
        expect(contact.peer).toBe(b.peer);
        connections.set(b.peer, inbound);
        rpcB.add(inbound);
        return outbound;
      },
      endpoints: ['memory:a'],
    });
    const rpcB = new ConnectionRpc({ dial: () => Promise.reject(new Error('no dialing')) });
    const routerB = new DhtRouter({ publicKey: b.identity.publicKey, rpc: rpcB });
    rpcB.setServer(routerServer(routerB));
    const known = party();
    routerB.table.seen(contactOf(known.peer, ['memory:known']));
    const signal = new AbortController().signal;
    const contacts = await rpcA.findNode(contactOf(b.peer), routerB.id, { signal });
    // B's table knows `known` and now A; the answer leaves A (the asker) out.
    expect(contacts.map((c) => c.peer)).toEqual([known.peer]);
    // B recorded A, with the endpoint it announced.
    expect(routerB.table.closest(routerB.id, 20).find((c) => c.peer === a.peer)?.endpoints).toEqual(
      ['memory:a'],
    );
    await rpcA.ping(contactOf(b.peer), { signal });
    expect(rpcA.size).toBe(1);
    rpcA.close();
    await expect(rpcA.ping(contactOf(b.peer), { signal })).rejects.toEqual(code('closed'));
  });

  it('ignores answers with unknown ids, fails answers of another type as malformed', async () => {
    const a = party();
    const b = party();
    const [ca, cb] = await link(a, b);
    const metrics = new MemoryMetrics();
    const rpc = new RpcConnection(ca, undefined, { metrics });
    // The other side answers a PING with NODES, after a PONG of an id nobody asked for.
    cb.onFrame(() => {
      cb.send(encodeMessage({ type: MessageType.Pong, requestId: 4242 }));
      cb.send(encodeMessage({ type: MessageType.Nodes, requestId: 1, contacts: [] }));
    });
    await expect(
      rpc.request({ type: MessageType.Ping, requestId: 0, endpoints: [] }),
    ).rejects.toEqual(code('malformed'));
    expect(metrics.value('hush_dht_unmatched_answers_total')).toBe(1);
    expect(rpc.isClosed).toBe(false);
  });

  it('times requests out on the injected clock and bounds those in flight', async () => {
    const a = party();
    const b = party();
    const [ca, cb] = await link(a, b);
    cb.onFrame(() => {}); // never answers
    const clock = new ManualClock(0);
    const metrics = new MemoryMetrics();
    const rpc = new RpcConnection(ca, undefined, {
      clock,
      metrics,
      timeoutMs: 500,
      maxInFlight: 2,
    });
    const ping = () => rpc.request({ type: MessageType.Ping, requestId: 0, endpoints: [] });
    const first = ping();
    const second = ping();
    await expect(ping()).rejects.toEqual(code('quota'));
    expect(rpc.inFlight).toBe(2);
    clock.advance(499);
    expect(rpc.inFlight).toBe(2);
    clock.advance(1);
    await expect(first).rejects.toEqual(code('closed'));
    await expect(second).rejects.toEqual(code('closed'));
    expect(metrics.value('hush_dht_request_timeouts_total')).toBe(2);
    expect(rpc.inFlight).toBe(0);
  });

  it('answers a refused request with ERROR, and closes on a malformed frame (counted)', async () => {
    const a = party();
    const b = party();
    const [ca, cb] = await link(a, b);
    const serve: DhtServer = () => {
      throw new DhtError('quota', 'slow down');
    };
    const metrics = new MemoryMetrics();
    const server = new RpcConnection(cb, serve, { metrics });
    const client = new RpcConnection(ca, undefined);
    await expect(
      client.request({ type: MessageType.Ping, requestId: 0, endpoints: [] }),
    ).rejects.toEqual(code('quota'));
    const pending = client.request({ type: MessageType.Ping, requestId: 0, endpoints: [] });
    ca.send(Uint8Array.of(0xc1, 0x02)); // not a message of §3
    await expect(pending).rejects.toEqual(code('closed'));
    expect(metrics.value('hush_dht_malformed_frames_total')).toBe(1);
    expect(server.isClosed).toBe(true);
    expect(client.isClosed).toBe(true);
  });

  it('refuses a dialed connection that proves another peer', async () => {
    const a = party();
    const b = party();
    const c = party();
    const rpc = new ConnectionRpc({ dial: async () => (await link(a, c))[0] });
    const contact: Contact = contactOf(b.peer);
    await expect(rpc.ping(contact, { signal: new AbortController().signal })).rejects.toEqual(
      code('malformed'),
    );
  });
});
