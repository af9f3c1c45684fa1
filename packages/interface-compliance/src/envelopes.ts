/**
 * The envelope sender/receiver compliance suite: what every `EnvelopeSender` and
 * `EnvelopeReceiver` of `@hush/interface` must do. An envelope sent arrives once, with its
 * fields and the hash the sender reported; sending it again is reported as not accepted and
 * delivers nothing new; many envelopes all arrive, each once; a removed handler hears
 * nothing more; an aborted send is refused.
 */
import type {
  EnvelopeReceiver,
  EnvelopeSender,
  ReceivedEnvelope,
  WireEnvelope,
} from '@hush/interface';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from './wait.js';

/** A sender and a receiver that its envelopes reach (the same node, or two linked ones). */
export interface EnvelopeExchange<E extends WireEnvelope = WireEnvelope> {
  readonly sender: EnvelopeSender<E>;
  readonly receiver: EnvelopeReceiver<E>;
  /** A new envelope the sender will accept (unique payload each call). */
  makeEnvelope(): E | Promise<E>;
  close(): Promise<void>;
}

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * Registers the sender/receiver suite with Vitest.
 *
 * @example
 * ```ts
 * envelopeExchangeCompliance('gossip, two nodes', async () => ({ sender: a, receiver: b, makeEnvelope, close }));
 * ```
 */
export function envelopeExchangeCompliance<E extends WireEnvelope>(
  name: string,
  setup: () => Promise<EnvelopeExchange<E>>,
): void {
  describe(`envelope sender/receiver compliance: ${name}`, () => {
    const open: EnvelopeExchange<E>[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((exchange) => exchange.close()));
    });
    const start = async () => {
      const exchange = await setup();
      open.push(exchange);
      return exchange;
    };

    it('delivers a sent envelope once, with its fields and the reported hash', async () => {
      const { sender, receiver, makeEnvelope } = await start();
      const got: ReceivedEnvelope<E>[] = [];
      receiver.onEnvelope((received) => got.push(received));
      const envelope = await makeEnvelope();
      const result = await sender.send(envelope);
      expect(result.accepted).toBe(true);
      expect(result.hash).toHaveLength(32);
      await waitFor(() => got.length === 1, 'the envelope');
      const [received] = got;
      expect(received!.hash).toEqual(result.hash);
      for (const field of ['expiry', 'ttl', 'topic', 'data', 'nonce'] as const)
        expect(received!.envelope[field]).toEqual(envelope[field]);
      // Sent again: already known, nothing new delivered.
      const again = await sender.send(envelope);
      expect(again.accepted).toBe(false);
      expect(again.hash).toEqual(result.hash);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(got).toHaveLength(1);
    });

    it('delivers many envelopes, each exactly once', async () => {
      const { sender, receiver, makeEnvelope } = await start();
      const counts = new Map<string, number>();
      receiver.onEnvelope(({ hash }) => counts.set(hex(hash), (counts.get(hex(hash)) ?? 0) + 1));
      const sent: string[] = [];
      for (let i = 0; i < 50; i++) sent.push(hex((await sender.send(await makeEnvelope())).hash));
      await waitFor(() => counts.size === 50, 'all 50 envelopes');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect([...counts.keys()].sort()).toEqual([...sent].sort());
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
    });

    it('stops delivering to a removed handler, and refuses an aborted send', async () => {
      const { sender, receiver, makeEnvelope } = await start();
      const kept: ReceivedEnvelope<E>[] = [];
      const removed: ReceivedEnvelope<E>[] = [];
      receiver.onEnvelope((received) => kept.push(received));
      const stop = receiver.onEnvelope((received) => removed.push(received));
      stop();
      await sender.send(await makeEnvelope());
      await waitFor(() => kept.length === 1, 'the envelope');
      expect(removed).toEqual([]);
      const controller = new AbortController();
      controller.abort(new Error('not now'));
      await expect(
        sender.send(await makeEnvelope(), { signal: controller.signal }),
      ).rejects.toThrow('not now');
    });
  });
}
