/**
 * Opening an envelope as a node does (specs/whisper-v6 SPEC §5.3–§5.4, §5.7): decrypt with a
 * symmetric or private key, parse, recover the signer, and describe the result with the
 * fields of geth's ReceivedMessage.
 */
import { type CryptoBackend, defaultBackend } from '@hush/crypto';
import { type Envelope, envelopeHashAndPow, envelopeSent } from '@hush/envelope';
import { keccak256 } from '@hush/keccak';
import { decryptAsymmetric } from './ecies.js';
import { type ParsedPlaintext, parsePlaintext } from './plaintext.js';
import { decryptSymmetric } from './symmetric.js';

/** A decrypted, parsed message with its envelope's facts (geth's ReceivedMessage). */
export interface ReceivedMessage extends ParsedPlaintext {
  readonly topic: Uint8Array;
  readonly ttl: number;
  /** expiry − ttl, uint32. */
  readonly sent: number;
  readonly pow: number;
  readonly envelopeHash: Uint8Array;
  /** Symmetric: the GCM nonce, and keccak256 of the key that opened it. */
  readonly salt: Uint8Array | null;
  readonly symKeyHash: Uint8Array | null;
  /** Asymmetric: the public key of the private key that opened it. */
  readonly recipientPublicKey: Uint8Array | null;
}

/** Options for opening. */
export interface OpenOptions {
  readonly backend?: CryptoBackend;
  /**
   * The envelope's hash and PoW when already known (a node computes them on arrival);
   * computed otherwise.
   */
  readonly facts?: { readonly hash: Uint8Array; readonly pow: number };
}

function describe(
  envelope: Envelope,
  parsed: ParsedPlaintext,
  options: OpenOptions,
  key: Pick<ReceivedMessage, 'salt' | 'symKeyHash' | 'recipientPublicKey'>,
): ReceivedMessage {
  const facts = options.facts ?? envelopeHashAndPow(envelope);
  return {
    ...parsed,
    ...key,
    topic: envelope.topic,
    ttl: envelope.ttl,
    sent: envelopeSent(envelope),
    pow: facts.pow,
    envelopeHash: facts.hash,
  };
}

function assertBytes(value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
}

/**
 * Opens a symmetric envelope.
 *
 * @throws MessageError 'too-short', 'bad-key-size', 'decrypt-failed', or a parse code
 *   ('empty-plaintext', 'signature-too-short', 'bad-signature', 'size-field-truncated',
 *   'payload-size-overflow')
 * @throws TypeError if an argument has the wrong type
 */
export function openSymmetric(
  envelope: Envelope,
  symKey: Uint8Array,
  options: OpenOptions = {},
): ReceivedMessage {
  assertBytes(envelope?.data, 'envelope.data');
  assertBytes(symKey, 'symKey');
  const backend = options.backend ?? defaultBackend;
  const { plaintext, salt } = decryptSymmetric(envelope.data, symKey, backend);
  return describe(envelope, parsePlaintext(plaintext, backend), options, {
    salt,
    symKeyHash: keccak256(symKey),
    recipientPublicKey: null,
  });
}

/**
 * Opens an asymmetric (ECIES) envelope.
 *
 * @throws MessageError 'too-short', 'bad-ephemeral-key', 'decrypt-failed', or a parse code
 * @throws TypeError if an argument has the wrong type
 * @throws RangeError if `privateKey` is not a valid secp256k1 key
 */
export function openAsymmetric(
  envelope: Envelope,
  privateKey: Uint8Array,
  options: OpenOptions = {},
): ReceivedMessage {
  assertBytes(envelope?.data, 'envelope.data');
  assertBytes(privateKey, 'privateKey');
  const backend = options.backend ?? defaultBackend;
  if (!backend.isValidPrivateKey(privateKey))
    throw new RangeError('privateKey is not a valid secp256k1 key');
  const plaintext = decryptAsymmetric(envelope.data, privateKey, backend);
  return describe(envelope, parsePlaintext(plaintext, backend), options, {
    salt: null,
    symKeyHash: null,
    recipientPublicKey: backend.publicKeyCreate(privateKey),
  });
}
