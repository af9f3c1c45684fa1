/**
 * The node's contacts (issue 13, item 7): the `ContactBook` of @hush/transport-direct over the
 * node's store, with what the RPC (`hush_*`) and the CLI (`hush contacts`) share: reading a
 * key or peer id from text, checking names, refusing the node's own key, and one JSON shape
 * of a contact.
 */
import { type CryptoBackend, defaultBackend } from '@hush/crypto';
import {
  HushError,
  type PeerId,
  peerIdFromPublicKey,
  publicKeyOfPeerId,
  type Store,
} from '@hush/interface';
import { type Contact, ContactBook } from '@hush/transport-direct';

/** Why a contact operation was refused. */
export type ContactErrorCode =
  /** Not a secp256k1 public key (or, to remove, not a key or peer id). */
  | 'invalid-key'
  /** Over 256 bytes of UTF-8, or holding control characters. */
  | 'invalid-name'
  /** The node's own key: a node is not its own contact. */
  | 'own-key'
  /** No contact has that key. */
  | 'unknown-contact';

/** A refused contact operation; `code` says why. */
export class ContactError extends HushError<ContactErrorCode> {
  override readonly name = 'ContactError';
}

/** Longest contact name, bytes of UTF-8 (as the ContactBook keeps them). */
export const MAX_CONTACT_NAME_BYTES = 256;

/** A contact as the RPC answers it and `hush contacts` prints it. */
export interface ContactJson {
  /** The enode id: the public key without its 04 prefix, 128 lowercase hex digits. */
  peerId: string;
  /** The 65-byte uncompressed secp256k1 public key, `0x04…`. */
  publicKey: string;
  name: string;
  /** When it was added, Unix seconds. */
  added: number;
  /** Whether the contact has sent an introduction (where and how to reach it). */
  introduced: boolean;
  /** When the latest introduction was made (its `sent`, Unix seconds), or null. */
  introducedAt: number | null;
}

/** The JSON shape of a contact. */
export function contactJson(contact: Contact): ContactJson {
  return {
    peerId: contact.peerId,
    publicKey: `0x${Buffer.from(contact.publicKey).toString('hex')}`,
    name: contact.name,
    added: contact.added,
    introduced: contact.introduction !== undefined,
    introducedAt: contact.introduction?.sent ?? null,
  };
}

/** The hex of a key as given: `0x…` or bare, or the id of an `enode://<id>@host:port` URL. */
function hexOf(text: string): string | undefined {
  const enode = /^enode:\/\/([0-9a-fA-F]{128})(?:@.*)?$/.exec(text);
  if (enode) return enode[1]!.toLowerCase();
  const hex = text.replace(/^0[xX]/, '');
  return /^(?:[0-9a-fA-F]{2})+$/.test(hex) ? hex.toLowerCase() : undefined;
}

const KEY_HINT = '65 bytes in hex (0x04 and 128 hex digits), or its 128-hex-digit peer id';

/**
 * A contact's public key from text: 65 bytes uncompressed (`04…`), or the 64 bytes of a peer
 * id or enode URL, with or without `0x`; it must be a point on secp256k1.
 *
 * @throws ContactError 'invalid-key'
 */
export function parseContactKey(text: string, backend: CryptoBackend = defaultBackend): Uint8Array {
  const hex = hexOf(text.trim());
  const bytes = hex === undefined ? undefined : Uint8Array.from(Buffer.from(hex, 'hex'));
  const key =
    bytes?.length === 64 ? Uint8Array.of(4, ...bytes) : bytes?.length === 65 ? bytes : undefined;
  if (!key || !backend.isValidPublicKey(key))
    throw new ContactError(
      'invalid-key',
      `${shown(text)} is not a secp256k1 public key: give ${KEY_HINT}`,
    );
  return key;
}

/**
 * The peer id a contact is named by: its public key or its peer id, as `parseContactKey`
 * reads them (the point is not checked: a key off the curve is no one's).
 *
 * @throws ContactError 'invalid-key'
 */
export function parseContactRef(text: string): PeerId {
  const hex = hexOf(text.trim());
  if (hex?.length === 128) return hex as PeerId;
  if (hex?.length === 130 && hex.startsWith('04')) return hex.slice(2) as PeerId;
  throw new ContactError('invalid-key', `${shown(text)} names no contact: give ${KEY_HINT}`);
}

/** At most 80 characters of what was given, for an error message. */
function shown(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/**
 * A contact name: at most 256 bytes of UTF-8, without control characters (names are printed
 * to terminals).
 *
 * @throws ContactError 'invalid-name'
 */
export function checkContactName(name: string): string {
  if (Buffer.byteLength(name, 'utf8') > MAX_CONTACT_NAME_BYTES)
    throw new ContactError('invalid-name', `name: at most ${MAX_CONTACT_NAME_BYTES} bytes`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name))
    throw new ContactError('invalid-name', 'name: no control characters');
  return name;
}

/** Adds, lists and removes the contacts of one node, over its store. */
export class NodeContacts {
  /** The contact book (`has` answers from memory for introductions and channels). */
  readonly book: ContactBook;
  private readonly self: PeerId | undefined;
  private readonly now: () => number;
  private readonly backend: CryptoBackend;

  private constructor(
    book: ContactBook,
    options: { self?: Uint8Array; now?: () => number; backend?: CryptoBackend },
  ) {
    this.book = book;
    this.self = options.self ? peerIdFromPublicKey(options.self) : undefined;
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
    this.backend = options.backend ?? defaultBackend;
  }

  /**
   * The contacts kept in `store`, loaded.
   *
   * @param options.self - the node's public key, refused as a contact
   * @param options.now - the clock, Unix seconds
   * @throws StoreError
   */
  static async open(
    store: Store,
    options: { self?: Uint8Array; now?: () => number; backend?: CryptoBackend } = {},
  ): Promise<NodeContacts> {
    const book = new ContactBook(store);
    await book.load();
    return new NodeContacts(book, options);
  }

  /**
   * Adds a contact, or renames one already there (its `added` time and introduction are
   * kept); with no name a new contact is unnamed and an existing one keeps its name.
   *
   * @throws ContactError 'invalid-key', 'invalid-name' or 'own-key'
   * @throws StoreError
   */
  async add(publicKey: string, name?: string): Promise<ContactJson> {
    const key = parseContactKey(publicKey, this.backend);
    const peerId = peerIdFromPublicKey(key);
    if (peerId === this.self)
      throw new ContactError(
        'own-key',
        'that is this node’s own key: a node is not its own contact',
      );
    const existing = await this.book.get(peerId);
    const given = name === undefined ? (existing?.name ?? '') : checkContactName(name);
    return contactJson(await this.book.add(key, given, this.now()));
  }

  /** Every contact, by peer id. @throws StoreError */
  async list(): Promise<ContactJson[]> {
    return (await this.book.list()).map(contactJson);
  }

  /**
   * Removes a contact named by its public key or peer id; answers what it was.
   *
   * @throws ContactError 'invalid-key' or 'unknown-contact'
   * @throws StoreError
   */
  async remove(publicKeyOrPeerId: string): Promise<ContactJson> {
    const peerId = parseContactRef(publicKeyOrPeerId);
    const contact = await this.book.get(peerId);
    if (!(await this.book.remove(peerId)))
      throw new ContactError('unknown-contact', `no contact has peer id ${peerId}`);
    // A record the store damaged is removed too, and answered by its key alone.
    return contactJson(
      contact ?? {
        peerId,
        publicKey: publicKeyOfPeerId(peerId),
        name: '',
        added: 0,
        introduction: undefined,
      },
    );
  }
}
