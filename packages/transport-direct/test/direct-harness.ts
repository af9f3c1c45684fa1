/**
 * Two (or more) DirectNodes that are each other's contacts, over MemoryStores, linked by
 * in-memory channel pairs under the real `hush-direct/1` Noise link. A node can be taken
 * offline (its channels close and dials to it fail) and restarted (a new DirectNode over the
 * same store).
 */
import { randomBytes, secp256k1Identity, secp256k1Verifier } from '@hush/crypto';
import { createEnvelope, type Envelope } from '@hush/envelope';
import { type Identity, MemoryMetrics, MemoryStore, type PeerId } from '@hush/interface';
import { type PipeTap, rawChannelPair } from '@hush/interface-compliance';
import {
  ContactBook,
  DirectNode,
  type DirectNodeOptions,
  directLinkEncrypter,
} from '../src/index.js';

const verifier = secp256k1Verifier();

export interface Party {
  readonly identity: Identity;
  readonly store: MemoryStore;
  readonly contacts: ContactBook;
  /** X25519 static private key of its direct links. */
  readonly staticKey: Uint8Array;
  metrics: MemoryMetrics;
  node: DirectNode;
  online: boolean;
  /** Dials this party made that reached the other side. */
  dials: number;
}

export function newKey(): Uint8Array {
  let key: Uint8Array;
  do key = randomBytes(32);
  while (key[0] === 0);
  return key;
}

let counter = 0;
/** A new envelope with unique data (no PoW: direct channels carry it anyway). */
export function makeEnvelope(size = 16): Envelope {
  const data = randomBytes(size);
  data[0] = counter++ & 0xff;
  return createEnvelope({
    expiry: 1_700_000_300 + (counter % 1000),
    ttl: 300,
    topic: Uint8Array.of(0xde, 0xad, 0xbe, 0xef),
    data,
    nonce: BigInt(counter),
  });
}

export class DirectWorld {
  readonly parties: Party[] = [];
  /** Transforms what crosses every link (drop, flip, reorder). */
  tap: PipeTap = ({ bytes }) => [bytes];
  private readonly extra: Partial<DirectNodeOptions>;

  constructor(extra: Partial<DirectNodeOptions> = {}) {
    this.extra = extra;
  }

  /** A new party over `store` (a fresh MemoryStore by default). */
  async party(store: MemoryStore = new MemoryStore()): Promise<Party> {
    const identity = secp256k1Identity(newKey());
    const contacts = new ContactBook(store);
    await contacts.load();
    const party = {
      identity,
      store,
      contacts,
      staticKey: randomBytes(32),
      metrics: new MemoryMetrics(),
      online: true,
      dials: 0,
    } as Party;
    party.node = await this.open(party);
    this.parties.push(party);
    return party;
  }

  /** Makes every two parties contacts of each other. */
  async befriend(): Promise<void> {
    for (const a of this.parties)
      for (const b of this.parties)
        if (a !== b) await a.contacts.add(b.identity.publicKey, 'friend', 1);
  }

  private open(party: Party): Promise<DirectNode> {
    return DirectNode.open({
      store: party.store,
      contacts: party.contacts,
      localPeer: party.identity.peerId,
      metrics: party.metrics,
      reconnect: { baseMs: 20, maxMs: 200 },
      retransmit: { baseMs: 200, maxMs: 2000 },
      dial: async (contact) => {
        const other = this.parties.find((p) => p.identity.peerId === contact.peerId);
        if (!party.online || !other?.online) throw new Error('unreachable');
        party.dials++;
        const [a, b] = rawChannelPair((message) => this.tap(message));
        const mine = this.encrypter(party);
        const theirs = this.encrypter(other);
        const [outbound, inbound] = await Promise.allSettled([
          mine.secureOutbound(a, {
            remoteStaticKey: theirs.staticKey,
            remotePeer: other.identity.peerId,
          }),
          theirs.secureInbound(b),
        ]);
        if (outbound.status === 'rejected' || inbound.status === 'rejected') {
          if (outbound.status === 'fulfilled') outbound.value.close();
          if (inbound.status === 'fulfilled') inbound.value.close();
          throw outbound.status === 'rejected'
            ? outbound.reason
            : (inbound as PromiseRejectedResult).reason;
        }
        other.node.attach(inbound.value);
        return outbound.value;
      },
      ...this.extra,
    });
  }

  encrypter(party: Party) {
    return directLinkEncrypter({
      identity: party.identity,
      verifier,
      staticKey: party.staticKey,
      isContact: (key) => party.contacts.has(key),
    });
  }

  /** Takes a party offline: its channels close, dials to and from it fail. */
  offline(party: Party): void {
    party.online = false;
    for (const other of this.parties)
      if (other !== party) {
        party.node.disconnect(other.identity.peerId);
        other.node.disconnect(party.identity.peerId);
      }
  }

  /** Brings a party back: it dials every contact. */
  onlineAgain(party: Party): void {
    party.online = true;
    for (const other of this.parties)
      if (other !== party) party.node.connect(other.identity.peerId);
  }

  /**
   * Restarts a party: its node closes without waiting for anything, and a new one opens over
   * the same store, as a restarted process would (the SIGKILL test does it with processes).
   */
  async restart(party: Party): Promise<void> {
    const old = party.node;
    party.online = false;
    void old.close();
    party.metrics = new MemoryMetrics();
    party.node = await this.open(party);
    party.online = true;
  }

  async close(): Promise<void> {
    await Promise.all(this.parties.map((p) => p.node.close()));
  }
}

export const peerOf = (party: Party): PeerId => party.identity.peerId;

export { waitFor } from '@hush/interface-compliance';
