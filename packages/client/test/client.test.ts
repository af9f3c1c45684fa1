/**
 * The client: keys made and kept, filters and subscriptions naming keys by id, delivery from
 * any number of envelope receivers (gossip, mailserver history) until detached or closed,
 * idle polling filters swept on the client's clock.
 */
import { type Envelope, envelopeHash } from '@hush/envelope';
import { type EnvelopeReceiver, ManualClock, type ReceivedEnvelope } from '@hush/interface';
import { generatePrivateKey, publicKeyOf, type ReceivedMessage, wrapMessage } from '@hush/message';
import { describe, expect, it } from 'vitest';
import { HushClient } from '../src/index.js';

const topic = Uint8Array.of(0xca, 0xfe, 0xba, 0xbe);

/** A receiver the test drives. */
function fakeReceiver() {
  const handlers = new Set<(received: ReceivedEnvelope<Envelope>) => void>();
  const receiver: EnvelopeReceiver<Envelope> = {
    onEnvelope(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
  };
  const hand = (envelope: Envelope, source: ReceivedEnvelope['source'] = 'gossip') => {
    for (const handler of handlers) handler({ envelope, hash: envelopeHash(envelope), source });
  };
  return { receiver, hand, handlers };
}

const sealed = (options: {
  symKey?: Uint8Array;
  publicKey?: Uint8Array;
  payload: number;
  signingKey?: Uint8Array;
}) =>
  wrapMessage({
    topic,
    payload: Uint8Array.of(options.payload),
    ...(options.symKey ? { symKey: options.symKey } : { publicKey: options.publicKey! }),
    ...(options.signingKey ? { signingKey: options.signingKey } : {}),
    pow: 0,
    workTime: 0,
  });

describe('HushClient', () => {
  it('makes keys and keeps them in its key store', async () => {
    const client = new HushClient();
    const sym = await client.newSymKey();
    const pair = await client.newKeyPair();
    expect(await client.keys.get('symKey', sym)).toHaveLength(32);
    expect(client.backend.isValidPrivateKey((await client.keys.get('keyPair', pair))!)).toBe(true);
    client.close();
  });

  it('delivers what attached receivers hand over to polling filters and subscriptions', async () => {
    const client = new HushClient();
    const symKeyId = await client.newSymKey();
    const symKey = (await client.keys.get('symKey', symKeyId))!;
    const polling = await client.newFilter({ symKeyId, topics: [topic] });
    const pushed: ReceivedMessage[] = [];
    const subscription = await client.subscribe({ symKeyId, allowP2P: true }, (m) =>
      pushed.push(m),
    );
    const gossip = fakeReceiver();
    const history = fakeReceiver();
    client.attach(gossip.receiver);
    const detachHistory = client.attach(history.receiver);
    gossip.hand(await sealed({ symKey, payload: 1 }));
    history.hand(await sealed({ symKey, payload: 2 }), 'history');
    expect(client.messages(polling)!.map((m) => m.payload[0])).toEqual([1]); // history is p2p
    expect(pushed.map((m) => m.payload[0])).toEqual([1, 2]);
    detachHistory();
    detachHistory();
    expect(history.handlers.size).toBe(0);
    expect(subscription.close()).toBe(true);
    expect(subscription.close()).toBe(false);
    gossip.hand(await sealed({ symKey, payload: 3 }));
    expect(pushed).toHaveLength(2);
    expect(client.messages(polling)!.map((m) => m.payload[0])).toEqual([3]);
    expect(client.removeFilter(polling)).toBe(true);
    expect(client.messages(polling)).toBeUndefined();
    client.close();
  });

  it('opens asymmetric messages with a key pair, and holds a filter to its signer', async () => {
    const client = new HushClient();
    const privateKeyId = await client.newKeyPair();
    const publicKey = publicKeyOf((await client.keys.get('keyPair', privateKeyId))!);
    const alice = generatePrivateKey();
    const fromAlice = await client.newFilter({ privateKeyId, signer: publicKeyOf(alice) });
    const anyone = await client.newFilter({ privateKeyId });
    const { receiver, hand } = fakeReceiver();
    client.attach(receiver);
    hand(await sealed({ publicKey, payload: 1, signingKey: alice }));
    hand(await sealed({ publicKey, payload: 2, signingKey: generatePrivateKey() }));
    hand(await sealed({ publicKey, payload: 3 }));
    expect(client.messages(fromAlice)!.map((m) => m.payload[0])).toEqual([1]);
    expect(client.messages(anyone)!.map((m) => m.payload[0])).toEqual([1, 2, 3]);
    client.close();
  });

  it('refuses criteria it cannot use, with ClientError', async () => {
    const client = new HushClient();
    const symKeyId = await client.newSymKey();
    const privateKeyId = await client.newKeyPair();
    const code = (c: string) => expect.objectContaining({ name: 'ClientError', code: c });
    await expect(client.newFilter({})).rejects.toEqual(code('invalid-filter'));
    await expect(client.newFilter({ symKeyId, privateKeyId })).rejects.toEqual(
      code('invalid-filter'),
    );
    await expect(client.newFilter({ symKeyId, signer: new Uint8Array(65) })).rejects.toEqual(
      code('invalid-filter'),
    );
    await expect(client.newFilter({ symKeyId: 'nope' })).rejects.toEqual(code('unknown-key'));
    await expect(client.newFilter({ privateKeyId: symKeyId })).rejects.toEqual(code('unknown-key'));
    expect(client.filters.size).toBe(0);
    client.close();
  });

  it('sweeps idle polling filters on its clock, and once closed detaches and refuses', async () => {
    const clock = new ManualClock(1_000_000);
    const client = new HushClient({ clock, limits: { idleMs: 5000 }, sweepMs: 1000 });
    const symKeyId = await client.newSymKey();
    const idle = await client.newFilter({ symKeyId });
    const kept = await client.newFilter({ symKeyId });
    clock.advance(4000);
    client.messages(kept);
    clock.advance(2000);
    expect(client.messages(idle)).toBeUndefined();
    expect(client.messages(kept)).toEqual([]);
    const { receiver, handlers } = fakeReceiver();
    client.attach(receiver);
    client.close();
    client.close();
    expect(handlers.size).toBe(0);
    expect(client.filters.size).toBe(0);
    expect(() => client.attach(receiver)).toThrow(expect.objectContaining({ code: 'closed' }));
    await expect(client.newFilter({ symKeyId })).rejects.toMatchObject({ code: 'closed' });
  });
});
