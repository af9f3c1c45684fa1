/**
 * The carrier compliance suite: what every `Carrier` of `@hush/interface` must do. A dial
 * reaches the listener; messages arrive whole and in order both ways, including empty and
 * large ones and those sent before the other side asked for messages; a close on either end
 * is told to the other; dialing nowhere, dialing after close and an aborted dial are refused
 * with the documented errors.
 */
import type { Carrier, RawChannel } from '@hush/interface';
import { TransportError } from '@hush/interface';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from './wait.js';

/** What the carrier suite needs. */
export interface CarrierSetup {
  /** A fresh carrier; two of them can reach each other. */
  create(): Carrier | Promise<Carrier>;
  /** An address on which nothing listens. */
  readonly unreachable: string;
}

/**
 * Registers the carrier suite with Vitest.
 *
 * @example
 * ```ts
 * carrierCompliance('websocket', { create: () => webSocketCarrier(), unreachable: 'ws://127.0.0.1:1' });
 * ```
 */
export function carrierCompliance(name: string, setup: CarrierSetup): void {
  describe(`carrier compliance: ${name}`, () => {
    const opened: Carrier[] = [];
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((carrier) => carrier.close()));
    });

    async function pair() {
      const listener = await setup.create();
      const dialer = await setup.create();
      opened.push(listener, dialer);
      const accepted: RawChannel[] = [];
      await listener.listen((channel) => accepted.push(channel));
      expect(listener.addresses.length).toBeGreaterThan(0);
      const dialed = await dialer.dial(listener.addresses[0]!);
      await waitFor(() => accepted.length === 1, 'the accepted channel');
      return { accepted: accepted[0]!, dialed };
    }

    it('delivers messages whole and in order both ways, early ones included', async () => {
      const { accepted, dialed } = await pair();
      const big = new Uint8Array(512 * 1024).map((_, i) => i * 7);
      // Sent before the other side asks for messages: they must wait for it.
      dialed.send(Uint8Array.of(1));
      dialed.send(new Uint8Array(0));
      dialed.send(big);
      const atListener: Uint8Array[] = [];
      const atDialer: Uint8Array[] = [];
      await new Promise((resolve) => setTimeout(resolve, 20));
      accepted.onMessage((m) => atListener.push(m.slice()));
      dialed.onMessage((m) => atDialer.push(m.slice()));
      for (let i = 0; i < 100; i++) accepted.send(Uint8Array.of(i, i));
      await waitFor(() => atListener.length === 3 && atDialer.length === 100, 'messages');
      expect(atListener[0]).toEqual(Uint8Array.of(1));
      expect(atListener[1]).toEqual(new Uint8Array(0));
      expect(atListener[2]).toEqual(big);
      expect(atDialer.map((m) => m[0])).toEqual([...Array(100).keys()]);
    });

    it('tells the other end of a close, from either side', async () => {
      for (const closer of ['dialed', 'accepted'] as const) {
        const channels = await pair();
        let told = false;
        const other = closer === 'dialed' ? channels.accepted : channels.dialed;
        other.onClose(() => {
          told = true;
        });
        other.onMessage(() => {});
        channels[closer].close();
        await waitFor(() => told, `the close of the ${closer} end`);
      }
    });

    it('refuses a dial to nowhere, after close, and when aborted', async () => {
      const carrier = await setup.create();
      opened.push(carrier);
      await expect(carrier.dial(setup.unreachable)).rejects.toSatisfy(
        (error: unknown) => error instanceof TransportError && error.code === 'dial-failed',
      );
      const controller = new AbortController();
      controller.abort(new Error('given up'));
      await expect(carrier.dial(setup.unreachable, { signal: controller.signal })).rejects.toThrow(
        'given up',
      );
      await carrier.close();
      await expect(carrier.dial(setup.unreachable)).rejects.toSatisfy(
        (error: unknown) => error instanceof TransportError && error.code === 'closed',
      );
      expect(carrier.addresses).toEqual([]);
    });
  });
}
