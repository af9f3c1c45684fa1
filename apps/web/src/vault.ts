/**
 * The identity vault (specs/web/SPEC.md §2): the page's keys are made here, kept in IndexedDB
 * only as AES-256-GCM ciphertext under a key derived from the passphrase with scrypt, and held
 * in memory only while unlocked. The exported file is that same ciphertext record, so an
 * exported identity is as safe as the passphrase, and importing it needs the passphrase too.
 *
 * Secrets: the secp256k1 identity key (1:1 ECIES and signatures), the ed25519 inbox secret
 * (the DHT inbox) and a random data key that seals the message history.
 */
import { randomBytes } from '@hush/crypto';
import { generatePrivateKey, publicKeyOf } from '@hush/message';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { IDBPDatabase } from 'idb';
import { WebError } from './errors.js';

/** scrypt cost (OWASP's minimum for scrypt: N = 2^17 is the recommendation, 2^15 a floor). */
export interface KdfParams {
  readonly name: 'scrypt';
  readonly N: number;
  readonly r: number;
  readonly p: number;
  /** 16 random bytes, hex. */
  readonly salt: string;
}

/** The default scrypt cost: N = 2^15, r = 8, p = 1 (32 MiB, about a second in a phone's browser). */
export const DEFAULT_KDF: Omit<KdfParams, 'salt'> = { name: 'scrypt', N: 2 ** 15, r: 8, p: 1 };

/** What the vault keeps in IndexedDB and what an exported identity file holds. */
export interface VaultRecord {
  readonly format: 'hush-identity';
  readonly version: 1;
  /** The identity public key, in clear, so a locked page can show who it is. */
  readonly publicKey: string;
  readonly kdf: KdfParams;
  /** 12-byte AES-GCM nonce, hex. */
  readonly iv: string;
  /** AES-256-GCM of the secrets' JSON, hex; the additional data is the public key. */
  readonly ciphertext: string;
  readonly createdAt: number;
}

/** The secrets an unlocked vault holds. */
export interface Secrets {
  /** secp256k1 private key, 32 bytes. */
  readonly identityKey: Uint8Array;
  /** 65-byte uncompressed public key of the identity key. */
  readonly publicKey: Uint8Array;
  /** ed25519 secret of the DHT inbox, 32 bytes. */
  readonly inboxSecret: Uint8Array;
  /** AES-256-GCM key of the message history. */
  readonly dataKey: CryptoKey;
}

/** The IndexedDB object store of the vault (one record, key `identity`). */
export const VAULT_STORE = 'vault';
const RECORD_KEY = 'identity';

async function derive(passphrase: string, kdf: KdfParams): Promise<CryptoKey> {
  const raw = await scryptAsync(
    new TextEncoder().encode(passphrase.normalize('NFKC')),
    hexToBytes(kdf.salt),
    {
      N: kdf.N,
      r: kdf.r,
      p: kdf.p,
      dkLen: 32,
    },
  );
  return crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

interface SecretJson {
  identityKey: string;
  inboxSecret: string;
  dataKey: string;
}

async function open(record: VaultRecord, passphrase: string): Promise<Secrets> {
  const key = await derive(passphrase, record.kdf);
  let plain: ArrayBuffer;
  try {
    plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: hexToBytes(record.iv), additionalData: hexToBytes(record.publicKey) },
      key,
      hexToBytes(record.ciphertext),
    );
  } catch (cause) {
    throw new WebError('wrong-passphrase', 'the passphrase does not open this identity', { cause });
  }
  const json = JSON.parse(new TextDecoder().decode(plain)) as SecretJson;
  const identityKey = hexToBytes(json.identityKey);
  const publicKey = publicKeyOf(identityKey);
  if (bytesToHex(publicKey) !== record.publicKey)
    throw new WebError('bad-identity-file', 'the identity key does not match its public key');
  return {
    identityKey,
    publicKey,
    inboxSecret: hexToBytes(json.inboxSecret),
    dataKey: await crypto.subtle.importKey('raw', hexToBytes(json.dataKey), 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ]),
  };
}

/** Checks that parsed JSON is a vault record this version reads. */
function asRecord(value: unknown): VaultRecord {
  const r = value as Partial<VaultRecord> | null;
  const hex = (s: unknown, bytes?: number) =>
    typeof s === 'string' &&
    /^([0-9a-f]{2})*$/.test(s) &&
    (bytes === undefined || s.length === bytes * 2);
  const kdf = r?.kdf as Partial<KdfParams> | undefined;
  if (
    r?.format !== 'hush-identity' ||
    r.version !== 1 ||
    !hex(r.publicKey, 65) ||
    !hex(r.iv, 12) ||
    !hex(r.ciphertext) ||
    typeof r.createdAt !== 'number' ||
    kdf?.name !== 'scrypt' ||
    !hex(kdf.salt, 16) ||
    ![kdf.N, kdf.r, kdf.p].every((n) => Number.isInteger(n) && (n as number) > 0) ||
    // A file must not make the page spend gigabytes: scrypt needs 128·N·r bytes.
    (kdf.N as number) > 2 ** 20 ||
    (kdf.r as number) > 16 ||
    (kdf.p as number) > 4 ||
    ((kdf.N as number) & ((kdf.N as number) - 1)) !== 0
  ) {
    throw new WebError(
      'bad-identity-file',
      'this is not a Hush identity file (format hush-identity, version 1)',
    );
  }
  return r as VaultRecord;
}

/**
 * The vault over an IndexedDB database that has the `vault` object store.
 *
 * @example
 * ```ts
 * const vault = new Vault(db);
 * const secrets = (await vault.record()) ? await vault.unlock(passphrase) : await vault.create(passphrase);
 * ```
 */
export class Vault {
  private readonly db: IDBPDatabase;
  private readonly kdf: Omit<KdfParams, 'salt'>;

  constructor(db: IDBPDatabase, kdf: Omit<KdfParams, 'salt'> = DEFAULT_KDF) {
    this.db = db;
    this.kdf = kdf;
  }

  /** The stored record (public key and ciphertext), or undefined when there is no identity. */
  async record(): Promise<VaultRecord | undefined> {
    const value: unknown = await this.db.get(VAULT_STORE, RECORD_KEY);
    return value === undefined ? undefined : asRecord(value);
  }

  /**
   * Makes a new identity and keeps it under the passphrase.
   *
   * @throws WebError 'identity-exists' when there is one already
   * @throws RangeError naming `passphrase` when it is shorter than 8 characters
   */
  async create(passphrase: string): Promise<Secrets> {
    if (typeof passphrase !== 'string' || passphrase.length < 8)
      throw new RangeError('passphrase must be at least 8 characters');
    if (await this.record()) throw new WebError('identity-exists', 'an identity exists already');
    const identityKey = generatePrivateKey();
    const secrets: SecretJson = {
      identityKey: bytesToHex(identityKey),
      inboxSecret: bytesToHex(randomBytes(32)),
      dataKey: bytesToHex(randomBytes(32)),
    };
    const kdf: KdfParams = { ...this.kdf, salt: bytesToHex(randomBytes(16)) };
    const publicKey = bytesToHex(publicKeyOf(identityKey));
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ciphertext = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: hexToBytes(publicKey) },
      await derive(passphrase, kdf),
      new TextEncoder().encode(JSON.stringify(secrets)),
    );
    const record: VaultRecord = {
      format: 'hush-identity',
      version: 1,
      publicKey,
      kdf,
      iv: bytesToHex(iv),
      ciphertext: bytesToHex(new Uint8Array(ciphertext)),
      createdAt: Date.now(),
    };
    // add, not put: two tabs creating at once must not overwrite each other's identity.
    try {
      await this.db.add(VAULT_STORE, record, RECORD_KEY);
    } catch (cause) {
      throw new WebError('identity-exists', 'an identity exists already', { cause });
    }
    return open(record, passphrase);
  }

  /**
   * Opens the stored identity.
   *
   * @throws WebError 'no-identity' when there is none, 'wrong-passphrase' when the passphrase
   *   does not open it
   */
  async unlock(passphrase: string): Promise<Secrets> {
    const record = await this.record();
    if (!record) throw new WebError('no-identity', 'there is no identity to unlock');
    return open(record, passphrase);
  }

  /**
   * The identity file to save: the stored ciphertext record as JSON (no secret in clear).
   *
   * @throws WebError 'no-identity' when there is none
   */
  async exportFile(): Promise<string> {
    const record = await this.record();
    if (!record) throw new WebError('no-identity', 'there is no identity to export');
    return `${JSON.stringify(record, null, 2)}\n`;
  }

  /**
   * Reads an exported file and opens it with its passphrase, changing nothing.
   *
   * @throws WebError 'bad-identity-file' for a file that is not one, 'wrong-passphrase'
   */
  async openFile(
    text: string,
    passphrase: string,
  ): Promise<{ record: VaultRecord; secrets: Secrets }> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new WebError('bad-identity-file', 'the file is not JSON', { cause });
    }
    const record = asRecord(parsed);
    return { record, secrets: await open(record, passphrase) };
  }

  /** Replaces the stored identity by a record `openFile` opened. */
  async replace(record: VaultRecord): Promise<void> {
    await this.db.put(VAULT_STORE, record, RECORD_KEY);
  }

  /**
   * Replaces the stored identity by an exported file's, after checking that the passphrase
   * opens it (so a mistyped passphrase never leaves a page with an identity it cannot open).
   *
   * @returns the opened secrets
   * @throws WebError 'bad-identity-file' for a file that is not one, 'wrong-passphrase'
   */
  async importFile(text: string, passphrase: string): Promise<Secrets> {
    const { record, secrets } = await this.openFile(text, passphrase);
    await this.replace(record);
    return secrets;
  }
}
