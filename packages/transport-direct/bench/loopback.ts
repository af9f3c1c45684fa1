/**
 * Benchmark helpers: contacts whose DirectNodes talk over loopback WebSockets
 * (`@hush/carrier-websocket`) under the real `hush-direct/1` Noise link, with every byte of
 * their raw channels counted, and the small statistics the benches print. Also used by
 * apps/node/bench/direct.bench.ts (the LevelDB store and the comparison with gossip).
 */
import { webSocketCarrier } from '@hush/carrier-websocket';
import { randomBytes, secp256k1Identity, secp256k1Verifier } from '@hush/crypto';
import type { Envelope } from '@hush/envelope';
import {
  type Carrier,
  type Connection,
  type Identity,
  MemoryMetrics,
  MemoryStore,
  type PeerId,
  type RawChannel,
  type Store,
} from '@hush/interface';
import { generatePrivateKey, wrapMessage } from '@hush/message';
import {
  ContactBook,
  DirectNode,
  type DirectNodeOptions,
  directLinkEncrypter,
} from '../src/index.js';

/** Bytes and messages that crossed some raw channels, both ways. */
export class WireCount {
  sentBytes = 0;
  receivedBytes = 0;
  sentMessages = 0;
  receivedMessages = 0;

  get bytes(): number {
    return this.sentBytes + this.receivedBytes;
  }

  get messages(): number {
    return this.sentMessages + this.receivedMessages;
  }

  snapshot(): { bytes: number; messages: number } {
    return { bytes: this.bytes, messages: this.messages };
  }
}

/** `raw`, with what it sends and receives added to `count`. */
export function countedChannel(raw: RawChannel, count: WireCount): RawChannel {
  return {
    get remoteAddress() {
      return raw.remoteAddress;
    },
    send(message) {
      count.sentBytes += message.length;
      count.sentMessages++;
      raw.send(message);
    },
    bufferedAmount: () => raw.bufferedAmount(),
    onMessage(handler) {
      raw.onMessage((message) => {
        count.receivedBytes += message.length;
        count.receivedMessages++;
        handler(message);
      });
    },
    onClose: (handler) => raw.onClose(handler),
    ...(raw.onActivity ? { onActivity: (handler: () => void) => raw.onActivity!(handler) } : {}),
    close: () => raw.close(),
  };
}

/** A carrier whose channels (dialed and accepted) are all counted in `count`. */
export function countedCarrier(carrier: Carrier, count: WireCount): Carrier {
  return {
    get addresses() {
      return carrier.addresses;
    },
    listen: (onChannel) => carrier.listen((raw) => onChannel(countedChannel(raw, count))),
    dial: async (address, options) => countedChannel(await carrier.dial(address, options), count),
    close: () => carrier.close(),
  };
}

const verifier = secp256k1Verifier();

/** One contact: a DirectNode listening on a loopback WebSocket. */
export interface Party {
  readonly key: Uint8Array;
  readonly identity: Identity;
  readonly peer: PeerId;
  readonly store: Store;
  readonly contacts: ContactBook;
  readonly staticKey: Uint8Array;
  readonly encrypter: ReturnType<typeof directLinkEncrypter>;
  readonly carrier: Carrier;
  readonly metrics: MemoryMetrics;
  /** Raw bytes of every channel this contact dialed or accepted. */
  readonly wire: WireCount;
  node: DirectNode;
  /** While false, dials to it fail (it is offline) and it accepts nothing. */
  online: boolean;
  /** Dials it made: whether they used IK (the contact's static key known). */
  ik: boolean;
}

/** Two contacts or more, each other's contacts, over loopback WebSockets. */
export class LoopbackContacts {
  readonly all: Party[] = [];
  private readonly extra: Partial<DirectNodeOptions>;

  constructor(extra: Partial<DirectNodeOptions> = {}) {
    this.extra = extra;
  }

  /** A new contact over `store` (default a MemoryStore), listening on 127.0.0.1. */
  async add(store: Store = new MemoryStore(), key = generatePrivateKey()): Promise<Party> {
    const identity = secp256k1Identity(key);
    const contacts = new ContactBook(store);
    await contacts.load();
    const wire = new WireCount();
    const staticKey = randomBytes(32);
    const contact = {
      key,
      identity,
      peer: identity.peerId,
      store,
      contacts,
      staticKey,
      encrypter: directLinkEncrypter({
        identity,
        verifier,
        staticKey,
        isContact: (k) => contacts.has(k),
      }),
      carrier: countedCarrier(webSocketCarrier({ host: '127.0.0.1' }), wire),
      metrics: new MemoryMetrics(),
      wire,
      online: true,
      ik: true,
    } as Party;
    await contact.carrier.listen((raw) => {
      if (!contact.online) return raw.close();
      contact.encrypter.secureInbound(raw).then(
        (connection) => contact.node.attach(connection),
        () => undefined,
      );
    });
    contact.node = await this.open(contact);
    for (const other of this.all) {
      await other.contacts.add(identity.publicKey, 'bench', 1);
      await contacts.add(other.identity.publicKey, 'bench', 1);
    }
    this.all.push(contact);
    return contact;
  }

  private open(contact: Party): Promise<DirectNode> {
    return DirectNode.open({
      store: contact.store,
      contacts: contact.contacts,
      localPeer: contact.peer,
      metrics: contact.metrics,
      dial: (peer, options) => this.dial(contact, peer.peerId, options.signal),
      ...this.extra,
    });
  }

  /** A `hush-direct/1` connection from `from` to the contact `to` over a fresh WebSocket. */
  async dial(from: Party, to: PeerId, signal?: AbortSignal): Promise<Connection> {
    const other = this.all.find((c) => c.peer === to);
    if (!from.online || !other?.online) throw new Error('unreachable');
    const raw = await from.carrier.dial(other.carrier.addresses[0]!, signal ? { signal } : {});
    return from.encrypter.secureOutbound(raw, {
      remotePeer: other.peer,
      ...(from.ik ? { remoteStaticKey: other.encrypter.staticKey } : {}),
    });
  }

  /** Opens `a`'s channel to `b` and waits until both sides have it. */
  async connect(a: Party, b: Party): Promise<void> {
    a.node.connect(b.peer);
    await until(
      () => a.node.channel(b.peer).state === 'open' && b.node.channel(a.peer).state === 'open',
      'the channel to open',
    );
  }

  async close(): Promise<void> {
    for (const contact of this.all) {
      contact.online = false;
      await contact.node.close();
    }
    for (const contact of this.all) await contact.carrier.close();
  }
}

/** Resolves once `condition` holds (polled every millisecond), or fails naming `what`. */
export async function until(
  condition: () => boolean,
  what: string,
  timeoutMs = 300_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Resolves when `node` has nothing pending for `peer` (on its state events, not polled). */
export function allAcknowledged(
  node: DirectNode,
  peer: PeerId,
  timeoutMs = 300_000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (node.pending(peer) === 0) return resolve();
    const timer = setTimeout(() => {
      off();
      reject(new Error(`${node.pending(peer)} messages still pending after ${timeoutMs} ms`));
    }, timeoutMs);
    const off = node.onState((state) => {
      if (state.peer !== peer || state.pending !== 0) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

export const TOPIC = Uint8Array.of(0x0b, 0xad, 0xf0, 0x0d);

/** The 300-byte payload of message `i`. */
export function payload(i: number): Uint8Array {
  const bytes = new Uint8Array(300).fill(0xab);
  new DataView(bytes.buffer).setUint32(0, i);
  return bytes;
}

/** `count` messages of 300-byte payloads, wrapped with a symmetric key and no PoW. */
export async function directEnvelopes(
  count: number,
  symKey = randomBytes(32),
): Promise<Envelope[]> {
  const out: Envelope[] = [];
  for (let i = 0; i < count; i++)
    out.push(
      await wrapMessage({
        topic: TOPIC,
        payload: payload(i),
        symKey,
        pow: 0,
        workTime: 0,
        ttl: 600,
      }),
    );
  return out;
}

/** The value at fraction `p` of sorted `values`. */
export function quantile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

/** "1.23 ms (rounds: 1.2, 1.3, …)". */
export function rounds(values: readonly number[], digits = 2, unit = ''): string {
  return `${median(values).toFixed(digits)}${unit} (rounds: ${values.map((v) => v.toFixed(digits)).join(', ')})`;
}
