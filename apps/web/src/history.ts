/**
 * The message history (specs/web/SPEC.md §5): conversations, contacts and messages kept in
 * IndexedDB through a `SealedStore`, each record sealed with AES-256-GCM under the vault's
 * data key, so a locked page holds no readable history. Records belong to an identity (its public key), so importing
 * another identity never shows, or mixes with, the first one's history.
 */
import { randomBytes } from '@hush/crypto';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { SealedStore } from './sealed-store.js';

/** Where a message is in its life. */
export type DeliveryState =
  /** Outgoing: PoW being computed. */
  | 'sealing'
  /** Outgoing: sealed and handed to gossip while no node peer is connected. */
  | 'queued'
  /** Outgoing: handed to the node the page is connected to. */
  | 'sent'
  /** Outgoing: stored by DHT inbox holders for an offline contact. */
  | 'stored'
  /** Outgoing: acknowledged by the contact over a direct channel. */
  | 'delivered'
  /** Outgoing: sealing or sending failed. */
  | 'failed'
  /** Outgoing: cancelled while sealing. */
  | 'cancelled'
  /** Incoming. */
  | 'received';

/** What a message's signature says. */
export type SignatureState =
  /** Signed by the conversation's contact (1:1) or by a known key. */
  | 'verified'
  /** Signed, on a channel, by someone who is not a contact (shown by key). */
  | 'signed'
  | 'unsigned'
  /** Our own message. */
  | 'own';

/**
 * How a message reached the page, or for an outgoing one how it left: 'mixnet' is a message
 * sent through the page's Loopix client to the exit ("send through the mixnet").
 */
export type Path = 'gossip' | 'direct' | 'inbox' | 'mailserver' | 'local' | 'mixnet';

/** A message of a conversation. */
export interface StoredMessage {
  readonly id: string;
  readonly conversation: string;
  readonly direction: 'in' | 'out';
  readonly text: string;
  /** Unix ms: sent time for outgoing, the envelope's sent time for incoming. */
  readonly at: number;
  /** The signer's public key, hex (no 0x), when signed. */
  readonly signer?: string;
  readonly signature: SignatureState;
  readonly state: DeliveryState;
  /** The envelope's hash, hex, once sealed. */
  readonly envelopeHash?: string;
  readonly path: Path;
  /** Outgoing: the envelope's expiry, unix seconds. */
  readonly expiry?: number;
  /** PoW time in ms for outgoing messages. */
  readonly powMs?: number;
  readonly detail?: string;
}

/** A conversation: a public channel or a contact. */
export interface Conversation {
  /** `channel:<name>` or `contact:<public key hex>`. */
  readonly id: string;
  readonly kind: 'channel' | 'contact';
  /** The channel name, or a short label of the contact's key. */
  readonly name: string;
  /** The contact's public key, hex (no 0x). */
  readonly publicKey?: string;
  /** The contact's DHT inbox key, hex, once its contact card arrived. */
  readonly inboxKey?: string;
  /**
   * Whether the user added this contact; a conversation opened by a stranger's message is
   * not a contact: its signatures do not verify and it gets no card or channel.
   */
  readonly added?: boolean;
  readonly createdAt: number;
}

/**
 * The history of one identity, in a store that seals every value (`SealedStore` under the
 * data key): keys `<owner>/c/<random>` for conversations and `<owner>/m/<message id>` for
 * messages, so no key names a channel or a contact.
 */
export class History {
  private readonly store: SealedStore;
  /** The identity's public key, hex: the prefix of its records. */
  private readonly owner: string;
  /**
   * The random record key of each conversation: its id names the channel or the contact, so
   * it is kept inside the sealed value, never as the key.
   */
  private readonly conversationKeys = new Map<string, string>();
  /** Writes per record, in order: a later state must not be overtaken by an earlier one. */
  private readonly writes = new Map<string, Promise<void>>();

  /** @param store - the history's sealed store (values AES-GCM under the data key) */
  constructor(store: SealedStore, owner: string) {
    this.store = store;
    this.owner = owner;
  }

  private write(key: string, value: unknown): Promise<void> {
    const bytes = new TextEncoder().encode(JSON.stringify(value));
    const write = (this.writes.get(key) ?? Promise.resolve())
      .catch(() => {})
      .then(() => this.store.put(key, bytes));
    this.writes.set(key, write);
    void write
      .finally(() => {
        if (this.writes.get(key) === write) this.writes.delete(key);
      })
      .catch(() => {});
    return write;
  }

  /**
   * Every record of this identity, opened; records that fail authentication are skipped and
   * counted (one damaged record must not hide the rest).
   */
  async load(): Promise<{
    conversations: Conversation[];
    messages: StoredMessage[];
    corrupt: number;
  }> {
    const conversations: Conversation[] = [];
    const messages: StoredMessage[] = [];
    let corrupt = 0;
    const prefix = `${this.owner}/`;
    const unopened = this.store.unopened;
    for await (const [key, value] of this.store.range({ gte: prefix, lt: `${this.owner}0` })) {
      let record: unknown;
      try {
        record = JSON.parse(new TextDecoder().decode(value));
      } catch {
        corrupt++;
        continue;
      }
      if (key.startsWith(`${prefix}c/`)) {
        const conversation = record as Conversation;
        this.conversationKeys.set(conversation.id, key);
        conversations.push(conversation);
      } else messages.push(record as StoredMessage);
    }
    corrupt += this.store.unopened - unopened;
    messages.sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
    conversations.sort((a, b) => a.createdAt - b.createdAt);
    return { conversations, messages, corrupt };
  }

  /** Keeps (or replaces) a message. */
  putMessage(message: StoredMessage): Promise<void> {
    return this.write(`${this.owner}/m/${message.id}`, message);
  }

  /** Keeps (or replaces) a conversation. */
  putConversation(conversation: Conversation): Promise<void> {
    let key = this.conversationKeys.get(conversation.id);
    if (!key) {
      key = `${this.owner}/c/${newMessageId()}`;
      this.conversationKeys.set(conversation.id, key);
    }
    return this.write(key, conversation);
  }
}

/** A fresh message id (random, so ids say nothing about content). */
export function newMessageId(): string {
  return bytesToHex(randomBytes(12));
}
