/**
 * @hush/message: Whisper v6 messages byte-exact with go-ethereum v1.8.27 (specs/whisper-v6
 * SPEC §5): wrapping (padding, signature, AES-GCM or ECIES, proof of work), opening and
 * parsing (refusing cleanly the inputs that crash geth), filters, keys and key stores.
 * The encrypted on-disk key store is Node-only: `@hush/message/file-key-store`.
 *
 * @packageDocumentation
 */
export {
  AES_KEY_LENGTH,
  AES_NONCE_LENGTH,
  DEFAULT_TTL,
  FLAGS_LENGTH,
  KEY_ID_SIZE,
  PAD_SIZE_LIMIT,
  PASSWORD_KEY_ITERATIONS,
  SIGNATURE_FLAG,
  SIGNATURE_LENGTH,
  SIZE_MASK,
} from './constants.js';
export { decryptAsymmetric, type EciesRandomness, encryptAsymmetric } from './ecies.js';
export { MessageError, type MessageErrorCode } from './errors.js';
export { deliverToFilter, type MessageFilter } from './filter.js';
export {
  type KeyKind,
  type KeyStore,
  KeyStoreError,
  type KeyStoreErrorCode,
  MemoryKeyStore,
} from './key-store.js';
export {
  generateKeyId,
  generatePrivateKey,
  generateSymKey,
  publicKeyOf,
  publicKeyToAddress,
  symKeyFromPassword,
  symKeyHash,
} from './keys.js';
export { type OpenOptions, openAsymmetric, openSymmetric, type ReceivedMessage } from './open.js';
export {
  buildPlaintext,
  defaultPaddingLength,
  messageHash,
  type ParsedPlaintext,
  parsePlaintext,
  payloadSizeFieldLength,
} from './plaintext.js';
export { decryptSymmetric, encryptSymmetric } from './symmetric.js';
export { type WrapParams, wrapMessage } from './wrap.js';
