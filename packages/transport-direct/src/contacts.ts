/**
 * The contact list (specs/transport-direct/SPEC.md §1, §2.3), kept in a `Store` under
 * `contacts/<peer id>`: each contact's public key, a name, when it was added, and the latest
 * introduction it sent (a later `sent` replaces it; an older or equal one is ignored, so a
 * replayed introduction changes nothing).
 */
import { type PeerId, peerIdFromPublicKey, publicKeyOfPeerId, type Store } from '@hush/interface';
import { encodeBytes, encodeList, encodeUint, RlpStream } from '@hush/rlp';
import { decodeIntroduction, encodeIntroduction, type Introduction } from './introduction.js';

const PREFIX = 'contacts/';
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();
/** Longest contact name, bytes. */
const MAX_NAME_BYTES = 256;

/** One contact. */
export interface Contact {
  readonly peerId: PeerId;
  /** 65-byte uncompressed secp256k1 public key. */
  readonly publicKey: Uint8Array;
  readonly name: string;
  /** Unix seconds. */
  readonly added: number;
  /** The latest introduction it sent, if any. */
  readonly introduction: Introduction | undefined;
}

function encodeContact(contact: Contact): Uint8Array {
  return encodeList([
    encodeUint(1),
    encodeBytes(utf8.encode(contact.name)),
    encodeUint(contact.added),
    encodeBytes(
      contact.introduction ? encodeIntroduction(contact.introduction) : new Uint8Array(0),
    ),
  ]);
}

function decodeContact(peerId: PeerId, bytes: Uint8Array): Contact {
  const s = new RlpStream(bytes);
  s.list();
  if (s.uintNumber() !== 1) throw new Error('unknown contact record version');
  const name = fromUtf8.decode(s.string());
  const added = s.uintNumber();
  const intro = s.string();
  return {
    peerId,
    publicKey: publicKeyOfPeerId(peerId),
    name,
    added,
    introduction: intro.length > 0 ? decodeIntroduction(intro) : undefined,
  };
}

/**
 * A node's contacts, persistent in `store`.
 *
 * @example
 * ```ts
 * const contacts = new ContactBook(store);
 * await contacts.add(alicePublicKey, 'alice', now);
 * const verdict = openIntroduction(envelope, { privateKey, isContact: (k) => contacts.has(k), now });
 * if (verdict.accepted) await contacts.recordIntroduction(verdict.from, verdict.introduction);
 * ```
 */
export class ContactBook {
  private readonly store: Store;
  /** The contacts' peer ids, loaded by `load` and kept with every change, for `has`. */
  private readonly known = new Set<PeerId>();

  constructor(store: Store) {
    this.store = store;
  }

  /** Reads the list from the store (call once before `has`). @throws StoreError */
  async load(): Promise<void> {
    this.known.clear();
    for await (const [key] of this.store.range({ gte: PREFIX, lt: `${PREFIX}~` }))
      this.known.add(key.slice(PREFIX.length) as PeerId);
  }

  /** Whether the 65-byte public key is a contact (from memory: no store read). */
  has(publicKey: Uint8Array): boolean {
    return this.known.has(peerIdFromPublicKey(publicKey));
  }

  /** Whether the peer id is a contact's (from memory: no store read). */
  hasPeer(peerId: PeerId): boolean {
    return this.known.has(peerId);
  }

  /**
   * Adds a contact, or renames one already there (its introduction is kept).
   *
   * @throws RangeError for a key that is not a public key or a name over 256 bytes
   * @throws StoreError
   */
  async add(publicKey: Uint8Array, name: string, added: number): Promise<Contact> {
    const peerId = peerIdFromPublicKey(publicKey);
    if (utf8.encode(name).length > MAX_NAME_BYTES)
      throw new RangeError(`name: at most ${MAX_NAME_BYTES} bytes`);
    const existing = await this.get(peerId);
    const contact: Contact = existing
      ? { ...existing, name }
      : { peerId, publicKey: publicKeyOfPeerId(peerId), name, added, introduction: undefined };
    await this.store.put(PREFIX + peerId, encodeContact(contact));
    this.known.add(peerId);
    return contact;
  }

  /** Removes a contact; returns whether it was one. @throws StoreError */
  async remove(peerId: PeerId): Promise<boolean> {
    const was = (await this.store.get(PREFIX + peerId)) !== undefined;
    await this.store.delete(PREFIX + peerId);
    this.known.delete(peerId);
    return was;
  }

  /**
   * One contact, or undefined. A record the store damaged reads as absent.
   *
   * @throws StoreError
   */
  async get(peerId: PeerId): Promise<Contact | undefined> {
    const bytes = await this.store.get(PREFIX + peerId);
    if (!bytes) return undefined;
    try {
      return decodeContact(peerId, bytes);
    } catch {
      return undefined;
    }
  }

  /** Every contact, by peer id. @throws StoreError */
  async list(): Promise<Contact[]> {
    const out: Contact[] = [];
    for await (const [key, bytes] of this.store.range({ gte: PREFIX, lt: `${PREFIX}~` })) {
      try {
        out.push(decodeContact(key.slice(PREFIX.length) as PeerId, bytes));
      } catch {
        // A damaged record is skipped, not served.
      }
    }
    return out;
  }

  /**
   * Keeps `introduction` as the contact's latest when it is newer than the one kept.
   *
   * @returns whether it was kept (false: not a contact, or not newer)
   * @throws StoreError
   */
  async recordIntroduction(publicKey: Uint8Array, introduction: Introduction): Promise<boolean> {
    const contact = await this.get(peerIdFromPublicKey(publicKey));
    if (!contact) return false;
    if (contact.introduction && contact.introduction.sent >= introduction.sent) return false;
    await this.store.put(PREFIX + contact.peerId, encodeContact({ ...contact, introduction }));
    return true;
  }
}
