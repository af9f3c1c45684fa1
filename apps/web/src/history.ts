/**
 * The message history (specs/web/SPEC.md §5): conversations, contacts and messages kept in
 * IndexedDB, each record sealed with AES-256-GCM under the vault's data key, so a locked page
 * holds no readable history. Records belong to an identity (its public key), so importing
 * another identity never shows, or mixes with, the first one's history.
 */
import { randomBytes } from '@hush/crypto';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { IDBPDatabase } from 'idb';
import { RECORD_STORE } from './db.js';
import { WebError } from './errors.js';

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

/** How a message reached the page. */
export type Path = 'gossip' | 'direct' | 'inbox' | 'mailserver' | 'local';

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

type Kind = 'message' | 'conversation';

interface SealedRecord {
  readonly id: string;
  readonly owner: string;
  readonly kind: Kind;
  readonly iv: Uint8Array<ArrayBuffer>;
  readonly data: Uint8Array<ArrayBuffer>;
}

/** The history of one identity. */
export class History {
  private readonly db: IDBPDatabase;
  /** The identity's public key, hex. */
  private readonly owner: string;
  private readonly dataKey: CryptoKey;
  /**
   * The random record key of each conversation: its id names the channel or the contact, so
   * it is kept inside the ciphertext, never as the IndexedDB key.
   */
  private readonly conversationKeys = new Map<string, string>();
  /** Writes per record, in order: a later state must not be overtaken by an earlier one. */
  private readonly writes = new Map<string, Promise<void>>();

  constructor(db: IDBPDatabase, owner: string, dataKey: CryptoKey) {
    this.db = db;
    this.owner = owner;
    this.dataKey = dataKey;
  }

  private seal(id: string, kind: Kind, value: unknown): Promise<void> {
    const write = (this.writes.get(id) ?? Promise.resolve())
      .catch(() => {})
      .then(() => this.sealNow(id, kind, value));
    this.writes.set(id, write);
    void write
      .finally(() => {
        if (this.writes.get(id) === write) this.writes.delete(id);
      })
      .catch(() => {});
    return write;
  }

  private async sealNow(id: string, kind: Kind, value: unknown): Promise<void> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = await crypto.subtle.encrypt(
      {
        name: 'AES-GCM',
        iv,
        additionalData: new TextEncoder().encode(`${this.owner}/${kind}/${id}`),
      },
      this.dataKey,
      new TextEncoder().encode(JSON.stringify(value)),
    );
    const record: SealedRecord = {
      id: `${this.owner}/${id}`,
      owner: this.owner,
      kind,
      iv,
      data: new Uint8Array(data),
    };
    await this.db.put(RECORD_STORE, record);
  }

  private async open<T>(record: SealedRecord): Promise<T> {
    const id = record.id.slice(this.owner.length + 1);
    try {
      const plain = await crypto.subtle.decrypt(
        {
          name: 'AES-GCM',
          iv: record.iv,
          additionalData: new TextEncoder().encode(`${this.owner}/${record.kind}/${id}`),
        },
        this.dataKey,
        record.data,
      );
      return JSON.parse(new TextDecoder().decode(plain)) as T;
    } catch (cause) {
      throw new WebError('corrupt-record', `history record ${id} does not open`, { cause });
    }
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
    const records = (await this.db.getAllFromIndex(
      RECORD_STORE,
      'owner',
      this.owner,
    )) as SealedRecord[];
    const conversations: Conversation[] = [];
    const messages: StoredMessage[] = [];
    let corrupt = 0;
    for (const record of records) {
      try {
        if (record.kind === 'conversation') {
          const conversation = await this.open<Conversation>(record);
          this.conversationKeys.set(conversation.id, record.id.slice(this.owner.length + 1));
          conversations.push(conversation);
        } else messages.push(await this.open<StoredMessage>(record));
      } catch {
        corrupt++;
      }
    }
    messages.sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
    conversations.sort((a, b) => a.createdAt - b.createdAt);
    return { conversations, messages, corrupt };
  }

  /** Keeps (or replaces) a message. */
  putMessage(message: StoredMessage): Promise<void> {
    return this.seal(`m/${message.id}`, 'message', message);
  }

  /** Keeps (or replaces) a conversation. */
  putConversation(conversation: Conversation): Promise<void> {
    let key = this.conversationKeys.get(conversation.id);
    if (!key) {
      key = `c/${newMessageId()}`;
      this.conversationKeys.set(conversation.id, key);
    }
    return this.seal(key, 'conversation', conversation);
  }
}

/** A fresh message id (random, so ids say nothing about content). */
export function newMessageId(): string {
  return bytesToHex(randomBytes(12));
}
