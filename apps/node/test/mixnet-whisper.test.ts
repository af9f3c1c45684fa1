/**
 * Issue 17, item 3 (specs/mixnet-sphinx/SPEC.md §13, §13.5): Whisper envelopes between two
 * `hush` nodes through a loopback mixnet of real processes (3 authorities, 3 × 3 mixes, a
 * gateways), with Loopix cover traffic on. B is an exit (`--mixnet-exit`) whose queue is kept at
 * the second gateway and fetched through SURBs (`--mixnet-inbox`, §11.2): B links only to the
 * first. A sends shh_post through B (`--mixnet-exit-via`, `--post-via mixnet`). A posts to B's mixnet address with a
 * SURB, B's filter gets it and B answers on the SURB, and A's filter gets the answer; A's
 * plain shh_post enters gossip at B. A's loops come back, its drops leave. The nodes share no
 * gossip link: what arrives came through the mixnet. The waits are bounded, not timed.
 */
import { waitFor } from '@hush/interface-compliance';
import { mixNodeId } from '@hush/mixnet-sphinx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Mixnet,
  type MixnetWhisperNode,
  startMixnet,
  startWhisperNode,
  waitForMixnet,
} from '../testnet/mixnet.js';
import { scrapeMetric } from '../testnet/process.js';
import { rpc } from '../testnet/testnet.js';

const topic = '0x6d697821';
const symKey = `0x${'5a'.repeat(32)}`;
const hex = (text: string) => `0x${Buffer.from(text).toString('hex')}`;

describe('Whisper over a loopback mixnet between two hush nodes, cover traffic on', () => {
  let mixnet: Mixnet | undefined;
  const nodes: MixnetWhisperNode[] = [];
  let a: MixnetWhisperNode;
  let b: MixnetWhisperNode;
  const keyIds = new Map<MixnetWhisperNode, string>();
  const filters = new Map<MixnetWhisperNode, string>();
  const gatewayId = (i: number) =>
    Buffer.from(mixNodeId(mixnet!.network.gateways[i]!)).toString('hex');

  beforeAll(async () => {
    mixnet = await startMixnet({ epochMs: 600_000, meanDelayMs: 10, gateways: 2 });
    await waitForMixnet(mixnet, { timeoutMs: 240_000 });
    b = await startWhisperNode(mixnet, 'b', [
      '--mixnet-exit',
      '--mixnet-gateway',
      gatewayId(0),
      '--mixnet-inbox',
      gatewayId(1),
    ]);
    nodes.push(b);
    a = await startWhisperNode(mixnet, 'a', [
      '--mixnet-exit-via',
      b.address,
      '--post-via',
      'mixnet',
      '--mixnet-gateway',
      gatewayId(0),
    ]);
    nodes.push(a);
    for (const node of nodes) {
      await waitFor(
        async () => ((await rpc(node.rpcUrl, 'hush_mixnetInfo')) as { ready: boolean }).ready,
        `${node.name} linked to its gateway`,
        60_000,
      );
      const id = (await rpc(node.rpcUrl, 'shh_addSymKey', [symKey])) as string;
      keyIds.set(node, id);
      filters.set(
        node,
        (await rpc(node.rpcUrl, 'shh_newMessageFilter', [
          { symKeyID: id, topics: [topic] },
        ])) as string,
      );
    }
  }, 600_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.process.stop()));
    await mixnet?.stop();
  }, 180_000);

  /** Waits for a message with `payload` in the node's filter; returns its hash. */
  async function arrives(node: MixnetWhisperNode, payload: string): Promise<string> {
    let hash: string | undefined;
    const seen: { payload: string; hash: string }[] = [];
    await waitFor(
      async () => {
        seen.push(
          ...((await rpc(node.rpcUrl, 'shh_getFilterMessages', [filters.get(node)])) as {
            payload: string;
            hash: string;
          }[]),
        );
        hash = seen.find((m) => m.payload === payload)?.hash;
        return hash !== undefined;
      },
      `${payload} at ${node.name}`,
      60_000,
    );
    return hash!;
  }

  it('A posts to B’s address with a SURB; B answers on it once; each filter gets its message', async () => {
    const info = (await rpc(b.rpcUrl, 'hush_mixnetInfo')) as { address: string; exit: boolean };
    expect(info).toMatchObject({
      address: `${b.address.split('@')[0]}@${gatewayId(1)}`,
      exit: true,
      gateway: gatewayId(0),
      inbox: gatewayId(1),
    });
    const question = hex('question through the mixnet');
    const posted = (await rpc(a.rpcUrl, 'hush_mixnetPost', [
      { symKeyID: keyIds.get(a), topic, payload: question },
      { to: b.address, surb: true },
    ])) as { hash: string };
    const atB = await arrives(b, question);
    expect(atB).toBe(posted.hash);

    const answer = hex('answer on the SURB');
    await rpc(b.rpcUrl, 'hush_mixnetReply', [
      posted.hash,
      { symKeyID: keyIds.get(b), topic, payload: answer },
    ]);
    await arrives(a, answer);
    // B's queue is at the second gateway, which answered B's fetch requests on their SURBs.
    const inbox = mixnet!.gateways[1]!.metricsUrl!;
    expect(await scrapeMetric(b.metricsUrl, 'hush_mixnet_fetch_requests_total')).toBeGreaterThan(0);
    expect(
      await scrapeMetric(inbox, 'hush_mix_fetch_requests_total{outcome="answered"}'),
    ).toBeGreaterThan(0);
    expect(
      await scrapeMetric(inbox, 'hush_mix_fetch_answers_total{kind="message"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      await scrapeMetric(a.metricsUrl, 'hush_mixnet_envelopes_received_total{kind="reply"}'),
    ).toBe(1);
    // The SURB was used: a second answer has none to go on.
    await expect(
      rpc(b.rpcUrl, 'hush_mixnetReply', [
        posted.hash,
        { symKeyID: keyIds.get(b), topic, payload: answer },
      ]),
    ).rejects.toThrow(/no SURB/);
  });

  it('A’s shh_post goes through the mixnet to B, which posts it into gossip', async () => {
    const payload = hex('shh_post via the exit');
    const hash = (await rpc(a.rpcUrl, 'shh_post', [
      { symKeyID: keyIds.get(a), topic, payload, powTarget: 0.2, powTime: 5 },
    ])) as string;
    expect(await arrives(b, payload)).toBe(hash);
    expect(
      await scrapeMetric(b.metricsUrl, 'hush_mixnet_envelopes_received_total{kind="inject"}'),
    ).toBe(1);
    // A node that is not an exit refuses to inject: A never posts what is sent to it for gossip.
    expect(
      await scrapeMetric(a.metricsUrl, 'hush_mixnet_envelopes_received_total{kind="inject"}'),
    ).toBe(0);
  });

  it('refuses what does not fit: an envelope over a packet, a bad address, no mixnet PoW for gossip', async () => {
    const big = `0x${'00'.repeat(3000)}`;
    await expect(
      rpc(a.rpcUrl, 'hush_mixnetPost', [
        { symKeyID: keyIds.get(a), topic, payload: big },
        { to: b.address },
      ]),
    ).rejects.toThrow(/one mixnet packet carries at most/);
    await expect(
      rpc(a.rpcUrl, 'hush_mixnetPost', [
        { symKeyID: keyIds.get(a), topic, payload: '0x01' },
        { to: 'nowhere' },
      ]),
    ).rejects.toThrow(/invalid argument 1/);
    await expect(
      rpc(a.rpcUrl, 'hush_mixnetPost', [{ symKeyID: keyIds.get(a), topic, payload: '0x01' }]),
    ).rejects.toThrow(/PoW too low/);
  });

  it('cover traffic runs: A’s loops come back through the mixnet and its drops leave', async () => {
    await waitFor(
      async () =>
        (await scrapeMetric(a.metricsUrl, 'hush_loopix_packets_received_total{kind="loop"}')) >=
          3 &&
        (await scrapeMetric(a.metricsUrl, 'hush_loopix_packets_sent_total{stream="drop"}')) >= 3 &&
        (await scrapeMetric(b.metricsUrl, 'hush_loopix_packets_received_total{kind="loop"}')) >= 3,
      'loops back at A and B, drops from A',
      60_000,
    );
    expect(
      await scrapeMetric(a.metricsUrl, 'hush_loopix_packets_sent_total{stream="payload-drop"}'),
    ).toBeGreaterThan(0);
  });
});
