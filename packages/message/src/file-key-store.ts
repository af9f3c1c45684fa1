/**
 * An encrypted on-disk key store (Node only; `@hush/message/file-key-store`). The file holds
 * the keys as JSON encrypted with AES-256-GCM under a key derived from a passphrase with
 * scrypt; every change rewrites it atomically (temporary file, fsync, rename), so a crash
 * leaves either the old or the new contents, never a torn file.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { type KeyKind, KeyStoreError, MemoryKeyStore } from './key-store.js';

const FORMAT = 'hush-key-store';
const VERSION = 1;

/** scrypt cost; stored in the file so it can be raised later. */
const SCRYPT = { N: 1 << 15, r: 8, p: 1 } as const;

interface StoreFile {
  format: typeof FORMAT;
  version: number;
  kdf: { name: 'scrypt'; salt: string; N: number; r: number; p: number };
  nonce: string;
  ciphertext: string;
}

interface Contents {
  keyPair: Record<string, string>;
  symKey: Record<string, string>;
}

function deriveKey(passphrase: string, kdf: StoreFile['kdf']): Buffer {
  return scryptSync(passphrase.normalize('NFKC'), Buffer.from(kdf.salt, 'hex'), 32, {
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    maxmem: 256 * kdf.N * kdf.r,
  });
}

/** A key store persisted, encrypted, in one file. */
export class FileKeyStore extends MemoryKeyStore {
  private readonly path: string;
  private readonly key: Buffer;
  private readonly kdf: StoreFile['kdf'];

  private constructor(path: string, key: Buffer, kdf: StoreFile['kdf']) {
    super();
    this.path = path;
    this.key = key;
    this.kdf = kdf;
  }

  /**
   * Opens the store at `path`, creating it when the file does not exist.
   *
   * @throws KeyStoreError 'wrong-passphrase' if the file does not decrypt with `passphrase`,
   *   'corrupt-store' if it is not a key store file
   * @throws TypeError if `passphrase` is not a non-empty string
   */
  static async open(path: string, passphrase: string): Promise<FileKeyStore> {
    if (typeof passphrase !== 'string' || passphrase.length === 0) {
      throw new TypeError('passphrase must be a non-empty string');
    }
    let text: string | undefined;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (text === undefined) {
      const kdf = { name: 'scrypt' as const, salt: randomBytes(16).toString('hex'), ...SCRYPT };
      const store = new FileKeyStore(path, deriveKey(passphrase, kdf), kdf);
      await store.changed();
      return store;
    }
    let file: StoreFile;
    try {
      file = JSON.parse(text) as StoreFile;
      if (file.format !== FORMAT || file.version !== VERSION || file.kdf?.name !== 'scrypt')
        throw new Error('format');
    } catch (error) {
      throw new KeyStoreError('corrupt-store', `${path} is not a Hush key store`, { cause: error });
    }
    const key = deriveKey(passphrase, file.kdf);
    const sealed = Buffer.from(file.ciphertext, 'hex');
    let contents: Contents;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(file.nonce, 'hex'));
      decipher.setAuthTag(sealed.subarray(sealed.length - 16));
      const plain = Buffer.concat([
        decipher.update(sealed.subarray(0, sealed.length - 16)),
        decipher.final(),
      ]);
      contents = JSON.parse(plain.toString('utf8')) as Contents;
    } catch (error) {
      throw new KeyStoreError(
        'wrong-passphrase',
        `cannot decrypt ${path}: wrong passphrase or damaged file`,
        {
          cause: error,
        },
      );
    }
    const store = new FileKeyStore(path, key, file.kdf);
    for (const kind of ['keyPair', 'symKey'] as const) {
      for (const [id, hex] of Object.entries(contents[kind] ?? {}))
        store.keys[kind].set(id, Uint8Array.from(Buffer.from(hex, 'hex')));
    }
    return store;
  }

  protected override async changed(): Promise<void> {
    const contents: Contents = { keyPair: {}, symKey: {} };
    for (const kind of ['keyPair', 'symKey'] as KeyKind[]) {
      for (const [id, key] of this.keys[kind])
        contents[kind][id] = Buffer.from(key).toString('hex');
    }
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    const ciphertext = Buffer.concat([
      cipher.update(JSON.stringify(contents), 'utf8'),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    const file: StoreFile = {
      format: FORMAT,
      version: VERSION,
      kdf: this.kdf,
      nonce: nonce.toString('hex'),
      ciphertext: ciphertext.toString('hex'),
    };
    const temporary = `${this.path}.${process.pid}.tmp`;
    const handle = await open(temporary, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(file));
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temporary, this.path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  override async close(): Promise<void> {
    await super.close();
    this.key.fill(0);
  }
}
