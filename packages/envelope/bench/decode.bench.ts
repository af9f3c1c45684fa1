/**
 * Decode + hash + PoW of ~300-byte envelopes (SPEC §3.3, §3.4, §4.2): what a node does to
 * every envelope it receives, against geth v1.8.27 doing the same (tools/geth-reference cases
 * decode-single and decode-packet-64).
 */
import { geth, measure, section } from '@hush/bench-support';
import { keccakReady, useJsBackend } from '@hush/keccak';
import {
  createEnvelope,
  decodeEnvelope,
  decodeMessagesPacket,
  encodeEnvelope,
  encodeMessagesPacket,
  envelopeHash,
  envelopeHashAndPow,
  envelopePow,
} from '../src/index.js';

const GETH = geth('decode-single');

function sampleEnvelopes(count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const data = new Uint8Array(300).map((_, j) => (i * 131 + j * 7) & 0xff);
    out.push(
      encodeEnvelope(
        createEnvelope({
          expiry: 1_800_000_000 + i,
          ttl: 50,
          topic: Uint8Array.of(i & 0xff, 1, 2, 3),
          data,
          nonce: BigInt(i * 7919),
        }),
      ),
    );
  }
  return out;
}

export async function run(): Promise<void> {
  section('Envelope ingest: decode + hash + PoW, 300-byte data (envelopes/s)');
  const backend = await keccakReady();
  const encoded = sampleEnvelopes(1024);
  let i = 0;
  const step = () => envelopeHashAndPow(decodeEnvelope(encoded[i++ & 1023]!));
  await measure(`decode + hash + PoW (${backend})`, step, { reference: GETH, unit: ' env/s' });
  await measure(
    '  same with separate envelopeHash and envelopePow calls',
    () => {
      const envelope = decodeEnvelope(encoded[i++ & 1023]!);
      envelopeHash(envelope);
      envelopePow(envelope);
    },
    { reference: GETH, unit: ' env/s', runs: 1 },
  );
  await measure('decode only', () => decodeEnvelope(encoded[i++ & 1023]!), {
    unit: ' env/s',
    runs: 1,
  });
  const packet = encodeMessagesPacket(encoded.slice(0, 64).map((bytes) => decodeEnvelope(bytes)));
  await measure(
    'messages packet of 64: decode + hash + PoW each',
    () => {
      for (const envelope of decodeMessagesPacket(packet)) envelopeHashAndPow(envelope);
    },
    { opsPerCall: 64, reference: geth('decode-packet-64'), unit: ' env/s', runs: 1 },
  );
  useJsBackend(true);
  try {
    await measure('decode + hash + PoW, pure-JS backend (@noble/hashes)', step, {
      reference: GETH,
      unit: ' env/s',
      runs: 1,
    });
  } finally {
    useJsBackend(false);
  }
}
