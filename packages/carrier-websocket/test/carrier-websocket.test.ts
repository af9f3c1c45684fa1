/**
 * The WebSocket carrier (specs/whisper-v6 SPEC §7.6's carrier, shared by the direct links of
 * specs/transport-direct §3): the carrier compliance suite, and what the carrier refuses on
 * its own: text messages and messages over the size the frame limit allows.
 */
import type { RawChannel } from '@hush/interface';
import { carrierCompliance } from '@hush/interface-compliance';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { webSocketCarrier } from '../src/index.js';

carrierCompliance('websocket', {
  create: () => webSocketCarrier(),
  // Port 1 on loopback: nothing listens there (tcpmux), so the dial is refused at once.
  unreachable: 'ws://127.0.0.1:1',
});

describe('WebSocket carrier refusals', () => {
  const carriers: ReturnType<typeof webSocketCarrier>[] = [];
  afterEach(async () => {
    await Promise.all(carriers.splice(0).map((carrier) => carrier.close()));
  });
  const listening = async (maxFrameBytes?: number) => {
    const carrier = webSocketCarrier(maxFrameBytes ? { limits: { maxFrameBytes } } : {});
    carriers.push(carrier);
    const closes: string[] = [];
    const got: Uint8Array[] = [];
    await carrier.listen((channel: RawChannel) => {
      channel.onMessage((message) => got.push(message));
      channel.onClose((detail) => closes.push(detail ?? ''));
    });
    return { address: carrier.addresses[0]!, closes, got };
  };
  const closeCode = (socket: WebSocket) =>
    new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));

  it('closes a connection that sends a text message with 1003, delivering nothing', async () => {
    const { address, closes, got } = await listening();
    const socket = new WebSocket(address);
    await new Promise((resolve) => socket.once('open', resolve));
    const closed = closeCode(socket);
    socket.send('hello');
    expect(await closed).toBe(1003);
    expect(got).toHaveLength(0);
    await expect.poll(() => closes.length).toBe(1);
  });

  it('closes a connection whose message exceeds the frame limit with 1009', async () => {
    const { address, closes, got } = await listening(1024);
    const socket = new WebSocket(address);
    await new Promise((resolve) => socket.once('open', resolve));
    const closed = closeCode(socket);
    socket.send(new Uint8Array(4096), { binary: true });
    expect(await closed).toBe(1009);
    expect(got).toHaveLength(0);
    await expect.poll(() => closes).toEqual(['1009 message too big']);
  });

  it('delivers binary messages in order, untouched', async () => {
    const { address, got } = await listening();
    const channel = await webSocketCarrier().dial(address);
    for (let i = 0; i < 20; i++) channel.send(Uint8Array.of(i, 255 - i));
    await expect.poll(() => got.length).toBe(20);
    expect(got.map((m) => [...m])).toEqual(Array.from({ length: 20 }, (_, i) => [i, 255 - i]));
    channel.close();
  });
});
