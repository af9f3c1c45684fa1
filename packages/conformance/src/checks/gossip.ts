/**
 * Checks for wire.json, node-edge.json and the node layer of invalid.json (specs/whisper-v6
 * SPEC §6–§7): the engine replays geth's recorded exchanges and applies the admission rules.
 */
import { createEnvelope, decodeEnvelope, type Envelope } from '@hush/envelope';
import { ManualClock } from '@hush/interface';
import { GossipEngine, replayExchange } from '@hush/transport-gossip';
import { field, hex, mismatch, powNumber, same, toHex, uint64 } from '../expect.js';
import type { CaseHandler, VectorCase } from './types.js';

const envelopeFrom = (value: unknown): Envelope =>
  decodeEnvelope(hex(field(value as VectorCase, 'rlp'), 'envelope.rlp'));

/**
 * The wire cases do not record geth's clock; they are recorded within seconds of each other,
 * so the latest envelope creation time in the file stands in for it, unless a case gives
 * `now` (unix seconds) itself.
 */
export function wireClock(cases: readonly VectorCase[]): number {
  let latest = 0;
  for (const c of cases) {
    const node = (c.node ?? {}) as VectorCase;
    for (const e of (node.pooledEnvelopes as VectorCase[] | undefined) ?? []) {
      latest = Math.max(latest, (e.expiry as number) - (e.ttl as number));
    }
  }
  return latest;
}

export function wireCase(fileNow: number): CaseHandler {
  return async (c) => {
    const node = field<VectorCase>(c, 'node');
    const now = typeof c.now === 'number' ? c.now : fileNow;
    const result = replayExchange({
      node: {
        minPow: field(node, 'minPow'),
        maxMessageSize: field(node, 'maxMessageSize'),
        bloomFilter: node.bloomFilter ? hex(node.bloomFilter, 'node.bloomFilter') : null,
        lightClient: node.lightClient === true,
        pooledEnvelopes: ((node.pooledEnvelopes as unknown[] | undefined) ?? []).map(envelopeFrom),
      },
      now: now * 1000,
      inbound: field<VectorCase[]>(c, 'inbound').map((m, i) => ({
        code: field<number>(m, 'code'),
        payload: hex(field(m, 'payload'), `inbound[${i}].payload`),
      })),
    });
    const sent = result.sent.map((m) => ({ code: m.code, payload: toHex(m.payload) }));
    const status = field<VectorCase>(c, 'gethStatus');
    if (!sent[0] || sent[0].code !== status.code || sent[0].payload !== status.payload) {
      throw mismatch(
        `first message ${JSON.stringify(sent[0])}, geth sent ${JSON.stringify(status)}`,
        'first message',
        status,
        sent[0] ?? 'none',
      );
    }
    const after = (c.gethSentAfterHandshake as VectorCase[] | null) ?? [];
    same('messages after the handshake', JSON.stringify(sent.slice(1)), JSON.stringify(after));
    same('connection', result.connected ? 'connected' : 'disconnected', field(c, 'gethResult'));
  };
}

export const nodeEdgeCase: CaseHandler = async (c) => {
  // The node's settings changed just before the check: a raised minimum still honours the
  // previous one for the sync allowance (SPEC §6.3).
  const node = field<VectorCase>(c, 'node');
  const engine = new GossipEngine({ clock: new ManualClock(field<number>(node, 'now') * 1000) });
  engine.setMaxMessageSize(field(node, 'maxMessageSize'));
  if (node.minPow !== 0.2) engine.setMinPow(field(node, 'minPow'));
  if (node.bloomFilter) engine.setBloomFilter(hex(node.bloomFilter, 'node.bloomFilter'));
  const hash = engine.post(envelopeFrom(field(c, 'envelope')));
  same('pow after add', engine.lookup(hash)?.pow, powNumber(field(c, 'powAfterAdd')));
};

export const nodeInvalidCase: CaseHandler = async (c) => {
  // A node configured this way from the start (geth's SetMinimumPowTest): no tolerance.
  const node = field<VectorCase>(c, 'node');
  const engine = new GossipEngine({
    clock: new ManualClock(field<number>(node, 'now') * 1000),
    maxMessageSize: field(node, 'maxMessageSize'),
    minPow: field(node, 'minPow'),
    bloomFilter: node.bloomFilter ? hex(node.bloomFilter, 'node.bloomFilter') : null,
  });
  const huge = c.hugeData as VectorCase | undefined;
  const envelope = huge
    ? createEnvelope({
        expiry: field(huge, 'expiry'),
        ttl: field(huge, 'ttl'),
        topic: hex(field(huge, 'topic'), 'hugeData.topic'),
        data: new Uint8Array(field<number>(huge, 'length')).fill(
          hex(field(huge, 'repeatByte'), 'hugeData.repeatByte')[0]!,
        ),
        nonce: uint64(field(huge, 'nonce'), 'hugeData.nonce'),
      })
    : envelopeFrom(field(c, 'envelope'));
  const reason = field<string>(c, 'reason');
  try {
    engine.post(envelope);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== reason)
      throw mismatch(`refused with ${String(code)}, expected ${reason}`, 'code', reason, code);
    const pooled = engine.poolStats().envelopes;
    if (pooled !== 0) throw mismatch('refused envelope was pooled', 'envelopes pooled', 0, pooled);
    return;
  }
  throw mismatch('accepted an envelope geth refuses', 'outcome', `refused: ${reason}`, 'accepted');
};
