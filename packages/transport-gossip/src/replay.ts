/**
 * Replays a scripted exchange against a fresh engine on a manual clock: what the engine sends
 * to a peer that sends `inbound`, and whether it keeps the peer. This is how the wire vectors
 * (recorded against a live geth) are checked (specs/whisper-v6 SPEC §7.5), and a way for
 * implementers to see how Hush answers any exchange.
 */
import type { Envelope } from '@hush/envelope';
import { ManualClock } from '@hush/interface';
import type { ProtocolMessage } from './codec.js';
import { GossipEngine } from './engine.js';
import type { GossipError } from './errors.js';
import { TRANSMISSION_CYCLE_MS } from './protocol.js';

/** The node under test and the script. */
export interface ReplayScript {
  readonly node: {
    readonly minPow?: number;
    readonly maxMessageSize?: number;
    readonly bloomFilter?: Uint8Array | null;
    readonly lightClient?: boolean;
    /** Envelopes posted to the node before the peer connects. */
    readonly pooledEnvelopes?: readonly Envelope[];
  };
  /** Milliseconds since the epoch when the exchange happens. */
  readonly now: number;
  readonly inbound: readonly ProtocolMessage[];
  readonly trusted?: boolean;
  /** How long to keep listening after the last message (default: four transmission cycles). */
  readonly settleMs?: number;
}

/** What happened. */
export interface ReplayResult {
  /** Everything the engine sent, its status first. */
  readonly sent: ProtocolMessage[];
  readonly connected: boolean;
  readonly error: GossipError | undefined;
}

/**
 * Runs the script.
 *
 * @throws GossipError if a pooled envelope is refused by the node's own rules
 * @throws RangeError if a node setting is out of range
 */
export function replayExchange(script: ReplayScript): ReplayResult {
  const clock = new ManualClock(script.now);
  const engine = new GossipEngine({
    clock,
    ...(script.node.minPow !== undefined ? { minPow: script.node.minPow } : {}),
    ...(script.node.maxMessageSize !== undefined
      ? { maxMessageSize: script.node.maxMessageSize }
      : {}),
    ...(script.node.bloomFilter !== undefined ? { bloomFilter: script.node.bloomFilter } : {}),
    ...(script.node.lightClient !== undefined ? { lightClient: script.node.lightClient } : {}),
  });
  engine.start();
  for (const envelope of script.node.pooledEnvelopes ?? []) engine.post(envelope);
  const sent: ProtocolMessage[] = [];
  let connected = true;
  let error: GossipError | undefined;
  const peer = engine.attach(
    { id: 'scripted-peer', trusted: script.trusted ?? false },
    {
      send: (message) => {
        sent.push(message);
        return true;
      },
      close: (reason) => {
        connected = false;
        error = reason;
      },
    },
  );
  for (const message of script.inbound) {
    if (!connected) break;
    peer.receive(message);
  }
  clock.advance(script.settleMs ?? 4 * TRANSMISSION_CYCLE_MS);
  const result = { sent, connected, error };
  engine.stop();
  return result;
}
