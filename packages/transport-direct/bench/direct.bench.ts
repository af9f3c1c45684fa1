/**
 * Direct-channel benchmarks (issue 13, Speed; specs/transport-direct): messages/s over one
 * channel and bytes on the wire per message, the link's handshakes (IK and XX), the flush of
 * 10,000 messages kept while the contact was offline, and transmissions per delivered message
 * when both contacts are up 10 % of the time. All over loopback WebSockets
 * (`@hush/carrier-websocket`) under the real `hush-direct/1` Noise link, both contacts in
 * this process, stores in memory; apps/node/bench/direct.bench.ts has the same rounds over
 * the node's LevelDB store, and the comparison with gossip (latency, bytes, duplicates).
 *
 * Figures are medians of rounds (the machine is shared); nothing here is asserted.
 */
import { section } from '@hush/bench-support';
import { webSocketCarrier } from '@hush/carrier-websocket';
import type { Connection } from '@hush/interface';
import { keccakReady } from '@hush/keccak';
import { type DutyCycleResult, dutyCycle } from './duty-cycle.js';
import { directEnvelopes, LoopbackContacts, median, quantile, rounds } from './loopback.js';
import {
  type FlushRound,
  flushRound,
  memoryStore,
  oneAtATime,
  printFlush,
  printThroughput,
  type ThroughputRound,
  throughputRound,
} from './scenarios.js';

const THROUGHPUT_MESSAGES = 20_000;
const FLUSH_MESSAGES = 10_000;

async function throughput(): Promise<void> {
  section(
    `One channel: ${THROUGHPUT_MESSAGES.toLocaleString('en')} messages of 300-byte payloads (MemoryStore both sides)`,
  );
  const results: ThroughputRound[] = [];
  for (let round = 0; round < 6; round++) {
    const result = await throughputRound(await directEnvelopes(THROUGHPUT_MESSAGES), memoryStore);
    if (round > 0) results.push(result); // the first warms up
  }
  printThroughput(results, 'send() of all → all acknowledged');
  const single = await oneAtATime(await directEnvelopes(300));
  const latencies = single.latencies.slice(50);
  console.log(
    `  one at a time (send(), wait for its acknowledgement; ${latencies.length} after 50 warm-up): ` +
      `p50 ${median(latencies).toFixed(2)} ms, p95 ${quantile(latencies, 0.95).toFixed(2)} ms; ` +
      `${single.bytesPerMessage.toFixed(1)} B on the wire per message, ${single.framesPerMessage.toFixed(2)} WebSocket messages\n` +
      `    (a 300-byte payload wraps to a 560-byte envelope (540 B of data: flags, payload, padding, GCM tag and salt); Noise adds 16 B and a 2-byte length per frame; ` +
      `an acknowledgement is 33 B in the reply frame; WebSocket and TCP headers are not counted)`,
  );
}

async function handshakes(): Promise<void> {
  section(
    'Direct link handshakes over loopback WebSocket (hush-direct/1, both sides in this process)',
  );
  // Two contacts' encrypters; their nodes and listeners are closed, the encrypters stay.
  const world = new LoopbackContacts();
  const a = await world.add();
  const b = await world.add();
  await world.close();
  const server = webSocketCarrier({ host: '127.0.0.1' });
  const client = webSocketCarrier({ host: '127.0.0.1' });
  const inbound: Promise<Connection>[] = [];
  const waiting: ((handshake: Promise<Connection>) => void)[] = [];
  await server.listen((raw) => {
    const handshake = b.encrypter.secureInbound(raw);
    const taker = waiting.shift();
    if (taker) taker(handshake);
    else inbound.push(handshake);
  });
  const nextInbound = (): Promise<Connection> =>
    inbound.length > 0
      ? inbound.shift()!
      : new Promise<Promise<Connection>>((resolve) => waiting.push(resolve)).then((h) => h);
  const address = server.addresses[0]!;
  const handshake = async (ik: boolean) => {
    const dialStarted = performance.now();
    const theirs = nextInbound();
    const raw = await client.dial(address);
    const started = performance.now();
    const [mine, other] = await Promise.all([
      a.encrypter.secureOutbound(raw, {
        remotePeer: b.peer,
        ...(ik ? { remoteStaticKey: b.encrypter.staticKey } : {}),
      }),
      theirs,
    ]);
    const done = performance.now();
    mine.close();
    other.close();
    return { handshake: done - started, dial: done - dialStarted };
  };
  // IK and XX alternate, 100 handshakes of each per round, the first round a warm-up.
  const figures = {
    ik: { handshake: [] as number[], dial: [] as number[] },
    xx: { handshake: [] as number[], dial: [] as number[] },
  };
  for (let round = 0; round < 6; round++) {
    for (const ik of [true, false]) {
      const times = [];
      for (let i = 0; i < 100; i++) times.push(await handshake(ik));
      if (round === 0) continue;
      const into = figures[ik ? 'ik' : 'xx'];
      into.handshake.push(median(times.map((t) => t.handshake)));
      into.dial.push(median(times.map((t) => t.dial)));
    }
  }
  for (const ik of [true, false]) {
    const f = figures[ik ? 'ik' : 'xx'];
    console.log(
      `  ${ik ? 'IK (dialer knows the contact’s static key: 2 messages)' : 'XX (key learned in the handshake: 3 messages)'}\n` +
        `    handshake on an open WebSocket  ${rounds(f.handshake, 2, ' ms')}\n` +
        `    WebSocket dial + handshake      ${rounds(f.dial, 2, ' ms')}`,
    );
  }
  console.log(
    '  (both sides’ work on one event loop: X25519, ChaChaPoly, and the secp256k1 signature binding each static key to its identity, signed and verified both ways)',
  );
  await client.close();
  await server.close();
}

async function flush(): Promise<void> {
  section(
    `Outbox flush: ${FLUSH_MESSAGES.toLocaleString('en')} messages accepted while the contact is offline (MemoryStore)`,
  );
  const results: FlushRound[] = [];
  for (let round = 0; round < 6; round++) {
    const result = await flushRound(await directEnvelopes(FLUSH_MESSAGES), memoryStore);
    if (round > 0) results.push(result);
  }
  printFlush(results, FLUSH_MESSAGES, 'contact comes online → all acknowledged');
}

async function duty(): Promise<void> {
  const days = 7;
  section(
    `Both contacts up 10 % of the time: simulated ${days} days on a ManualClock, in-memory links, default retransmission and redial policies`,
  );
  const results: DutyCycleResult[] = [];
  for (const seed of [1, 2, 3]) {
    results.push(
      await dutyCycle({
        seed,
        horizonMs: days * 24 * 3600_000,
        upMeanMs: 6 * 60_000,
        duty: 0.1,
        sendEveryMs: 120_000,
      }),
    );
  }
  const per = (f: (r: DutyCycleResult) => number) => results.map((r) => f(r) / r.delivered);
  for (const [i, r] of results.entries()) {
    const delays = r.delays.map((d) => d / 60_000);
    console.log(
      `  seed ${i + 1}: ${r.sent} sent (one each way every 2 min), ${r.deliveredByHorizon} delivered by the end, ${r.delivered} after the drain; ` +
        `both up ${(r.overlap * 100).toFixed(2)} % of the time in ${r.episodes} episodes, ${r.channels} channels\n` +
        `    transmissions ${r.transmissions}, acknowledgements ${r.acks}, duplicates received ${r.duplicates}, dials ${r.dials} reached + ${r.failedDials} failed; ` +
        `delivery delay p50 ${median(delays).toFixed(0)} min, p95 ${quantile(delays, 0.95).toFixed(0)} min`,
    );
  }
  console.log(
    `  transmissions / delivered   ${rounds(
      per((r) => r.transmissions),
      3,
      '×',
    )}   Vac MVDS simulation: ~100× in batch mode without an always-on cache\n` +
      `  acknowledgements / delivered ${rounds(
        per((r) => r.acks),
        3,
        '×',
      )}\n` +
      `  dial attempts / delivered   ${rounds(
        per((r) => r.dials + r.failedDials),
        3,
        '×',
      )} (a failed dial sends nothing to the contact)`,
  );
}

export async function run(): Promise<void> {
  await keccakReady();
  await throughput();
  await handshakes();
  await flush();
  await duty();
}
