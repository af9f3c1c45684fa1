/**
 * Mix throughput (issue 16, Speed; specs/mixnet-sphinx/SPEC.md §9): packets per second one
 * mix takes in, unwraps, checks against its replay cache (LevelDB, as `hush mix` keeps it),
 * and sends on, over loopback `hush-mix/1` links, with the mix alone on one pinned core
 * (taskset) and this process — the sender and the next hop's sink — on the other. The
 * packets are made beforehand (2-hop routes of the network geometry, 5 hops and 2 KiB: the
 * mix, then the sink), no delay asked, each fresh (a replay would be dropped), sent as fast as
 * the link takes them; the figure is packets that reached the sink over the time from the
 * first sent to the last received. A second figure: the same mix with `--workers 2` (the
 * unwrap on two worker threads, `@hush/mixnet-sphinx/unwrap-pool`), pinned to no core, so it
 * uses every core, which it shares with this process, the sender and the sink. References:
 * Loopix reported ≈225–300 packets/s per mix, Nym ≈1,000/s (both quoted, not measured here);
 * the goal is ≥ 5,000/s.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { section } from '@hush/bench-support';
import { webSocketCarrier } from '@hush/carrier-websocket';
import { secp256k1Identity, secp256k1Verifier } from '@hush/crypto';
import type { Connection } from '@hush/interface';
import {
  aezSprp,
  createPacket,
  decodeMixFrame,
  encodePackets,
  geometry,
  MIX_LINK_LIMITS,
  mixLinkEncrypter,
  mixNodeId,
  publicKeyOf,
} from '@hush/mixnet-sphinx';
import { x25519 } from '@noble/curves/ed25519.js';

const GEO = geometry(5, 2048);
const PER_ROUND = 12_000;
const ROUNDS = 3;
const FRAME = 64;
/** Packets the sender keeps unanswered for the mix with workers. */
const WINDOW = 1024;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const taskset = spawnSync('taskset', ['--version']).status === 0 && availableParallelism() >= 2;

function pin(pid: number, cores: string): void {
  if (taskset) spawnSync('taskset', ['-a', '-p', '-c', cores, String(pid)], { stdio: 'ignore' });
}

export async function run(): Promise<void> {
  section(
    'Mix throughput: one mix on one pinned core, LevelDB replay cache, loopback hush-mix/1 links; Loopix ≈225–300/s, Nym ≈1,000/s (quoted); goal ≥ 5,000/s',
  );
  const verifier = secp256k1Verifier();
  const sinkIdentity = secp256k1Identity(crypto.getRandomValues(new Uint8Array(32)));
  const mixNodeKey = crypto.getRandomValues(new Uint8Array(32));
  const mixIdentity = secp256k1Identity(mixNodeKey);
  const mixKey = x25519.utils.randomSecretKey();
  const mixHop = {
    id: mixNodeId(mixIdentity.publicKey.subarray(1)),
    publicKey: publicKeyOf(mixKey),
  };
  const sinkId = mixNodeId(sinkIdentity.publicKey.subarray(1));

  // The sink: the next hop's end of the mix's link, counting packets.
  let received = 0;
  let lastAt = 0;
  let want = 0;
  let reached: (() => void) | undefined;
  const sinkCarrier = webSocketCarrier({ host: '127.0.0.1', port: 0, limits: MIX_LINK_LIMITS });
  const sinkEncrypter = mixLinkEncrypter({
    identity: sinkIdentity,
    verifier,
    staticKey: x25519.utils.randomSecretKey(),
  });
  await sinkCarrier.listen(async (channel) => {
    const link = await sinkEncrypter.secureInbound(channel);
    link.onClose((reason, detail) =>
      console.log(`  the mix's link to the sink closed: ${reason} ${detail ?? ''}`),
    );
    link.onFrame((frame) => {
      const decoded = decodeMixFrame(frame, GEO.packetLength);
      if (decoded.type !== 'packets') return;
      received += decoded.packets.length;
      lastAt = performance.now();
      if (received >= want) reached?.();
    });
  });

  const cores = availableParallelism();
  const path = [
    { ...mixHop, commands: [] },
    {
      id: sinkId,
      publicKey: publicKeyOf(x25519.utils.randomSecretKey()),
      commands: [{ type: 'recipient' as const, id: sinkId }],
    },
  ];

  /**
   * One mix process measured over ROUNDS rounds: the median rate and what it dropped. With
   * `window`, the sender keeps at most that many packets sent and not yet at the sink.
   */
  const measure = async (workers: number, pinned: boolean, window = Number.POSITIVE_INFINITY) => {
    const dir = mkdtempSync(join(tmpdir(), 'hush-mix-bench-'));
    // Pinned: the mix on core 0, this process on the last; else both anywhere.
    pin(process.pid, pinned ? String(cores - 1) : `0-${cores - 1}`);
    const child = spawn(
      process.execPath,
      [
        ...(process.env.HUSH_MIX_PROFILE
          ? ['--cpu-prof', `--cpu-prof-dir=${process.env.HUSH_MIX_PROFILE}`]
          : []),
        '--conditions=@hush/source',
        '--import',
        'tsx',
        fileURLToPath(new URL('./mix-under-test.ts', import.meta.url)),
        JSON.stringify({
          dir: join(dir, 'db'),
          nodeKey: hex(mixNodeKey),
          mixKey: hex(mixKey),
          linkKey: hex(x25519.utils.randomSecretKey()),
          sink: {
            identity: hex(sinkIdentity.publicKey.subarray(1)),
            endpoint: sinkCarrier.addresses[0],
          },
          hops: GEO.hops,
          userPayloadLength: GEO.userPayloadLength,
          workers,
        }),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const lines = createInterface({ input: child.stdout! });
    const nextLine = () => new Promise<string>((resolve) => lines.once('line', resolve));
    try {
      const ready = await nextLine();
      const address = /^ready (\S+)/.exec(ready)?.[1];
      if (!address) throw new Error(`the mix said "${ready}"`);
      if (pinned) pin(child.pid!, '0');
      const channel = await webSocketCarrier({ limits: MIX_LINK_LIMITS }).dial(address);
      const sender: Connection = await mixLinkEncrypter({
        identity: secp256k1Identity(crypto.getRandomValues(new Uint8Array(32))),
        verifier,
        staticKey: x25519.utils.randomSecretKey(),
      }).secureOutbound(channel, { remotePeer: mixIdentity.peerId });
      sender.onClose((reason, detail) =>
        console.log(`  the sender's link closed: ${reason} ${detail ?? ''}`),
      );
      const rates: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const payload = new Uint8Array(GEO.userPayloadLength);
        const packets = Array.from({ length: PER_ROUND }, () =>
          createPacket(GEO, path, payload, aezSprp),
        );
        want = received + PER_ROUND;
        const done = new Promise<void>((resolve) => {
          reached = resolve;
        });
        child.stdin!.write('stats\n');
        await nextLine();
        const start = performance.now();
        const base = received;
        for (let i = 0; i < packets.length; i += FRAME) {
          // As fast as the mix reads: a few MiB in the socket at most.
          while (
            channel.bufferedAmount() > 4 * 1024 * 1024 ||
            i - (received - base) > window - FRAME
          )
            await new Promise((resolve) => setTimeout(resolve, 1));
          sender.send(encodePackets(packets.slice(i, i + FRAME)));
        }
        const timeout = new Promise<'timeout'>((resolve) =>
          setTimeout(() => resolve('timeout'), 60_000),
        );
        const outcome = await Promise.race([done, timeout]);
        const got = received - (want - PER_ROUND);
        rates.push((got / (lastAt - start)) * 1000);
        child.stdin!.write('stats\n');
        const during = JSON.parse(await nextLine()) as { busy: number; busyMs: number };
        console.log(
          `  round ${round + 1}: ${got} packets in ${Math.round(lastAt - start)} ms; the mix's event loop busy ${Math.round(during.busy * 100)}% (${Math.round((during.busyMs * 1000) / got)} µs of work a packet)`,
        );
        if (outcome === 'timeout')
          console.log(`  round ${round + 1}: only ${got} of ${PER_ROUND} packets arrived`);
      }
      child.stdin!.write('stats\n');
      const stats = JSON.parse(await nextLine()) as { dropped: Record<string, number> };
      rates.sort((a, b) => a - b);
      sender.close('local');
      return { median: rates[Math.floor(rates.length / 2)]!, rates, dropped: stats.dropped };
    } finally {
      child.stdin!.end();
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const show = (rates: readonly number[]) =>
    rates.map((r) => Math.round(r).toLocaleString('en')).join(', ');

  try {
    const one = await measure(0, true);
    console.log(
      `  mix throughput, replay cache on (LevelDB)   ${Math.round(one.median).toLocaleString('en')} packets/s   (rounds ${show(one.rates)}; ${taskset ? 'mix pinned to core 0' : 'not pinned: no taskset or one core'}; goal ≥ 5,000/s; Loopix ≈225–300/s, Nym ≈1,000/s quoted)`,
    );
    console.log(`  dropped by the mix: ${JSON.stringify(one.dropped)}`);
    // The pool takes packets faster than it unwraps them and refuses past its bound (2,048
    // here, queue-full): the sender keeps fewer than that unanswered, as a window.
    const pooled = await measure(2, false, WINDOW);
    console.log(
      `  mix throughput, --workers 2, not pinned   ${Math.round(pooled.median).toLocaleString('en')} packets/s   (rounds ${show(pooled.rates)}; the unwrap on 2 worker threads; the mix on all ${cores} cores, shared with the sender and the sink; the sender keeps ≤ ${WINDOW.toLocaleString('en')} packets unanswered; goal ≥ 5,000/s)`,
    );
    console.log(`  dropped by the mix: ${JSON.stringify(pooled.dropped)}`);
  } finally {
    await sinkCarrier.close();
    pin(process.pid, `0-${cores - 1}`);
  }
}
