/**
 * The RLPx encryption handshake (specs/rlpx SPEC §3, EIP-8, go-ethereum v1.8.27
 * `p2p/rlpx.go`): the initiator's auth packet and the recipient's ack packet, each read in
 * both encodings (pre-EIP-8 "plain" and EIP-8) and written in EIP-8's, and the secrets both
 * sides derive from them (§3.4). Pure functions over bytes: the session (session.ts) reads
 * them off the socket. Randomness can be fixed, for vectors.
 */
import {
  type CryptoBackend,
  defaultBackend,
  ECIES_OVERHEAD,
  type EciesRandomness,
  eciesDecrypt,
  eciesEncrypt,
  randomBytes,
} from '@hush/crypto';
import { keccak256 } from '@hush/keccak';
import { encodeBytes, encodeList, encodeUint, itemHeader, RlpStream, readHeader } from '@hush/rlp';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { RlpxError } from './errors.js';

const SIG_LENGTH = 65;
const PUB_LENGTH = 64;
const NONCE_LENGTH = 32;
/** The plain auth body: signature ‖ keccak(ephemeral pub) ‖ static pub ‖ nonce ‖ token flag. */
const AUTH_PLAIN_LENGTH = SIG_LENGTH + 32 + PUB_LENGTH + NONCE_LENGTH + 1;
/** The plain ack body: ephemeral pub ‖ nonce ‖ token flag. */
const ACK_PLAIN_LENGTH = PUB_LENGTH + NONCE_LENGTH + 1;
/** A pre-EIP-8 auth packet's size: also the bytes read before deciding the encoding (§3.3). */
export const AUTH_PACKET_PLAIN_SIZE = AUTH_PLAIN_LENGTH + ECIES_OVERHEAD;
/** A pre-EIP-8 ack packet's size. */
export const ACK_PACKET_PLAIN_SIZE = ACK_PLAIN_LENGTH + ECIES_OVERHEAD;
/** The RLPx version both packets carry. */
export const RLPX_VERSION = 4;

/** Randomness of one side's handshake, fixed for vectors; fresh where absent. */
export interface HandshakeRandomness {
  /** The ephemeral secp256k1 private key (32 bytes). */
  readonly ephemeralKey?: Uint8Array;
  /** This side's 32-byte nonce. */
  readonly nonce?: Uint8Array;
  /** The EIP-8 padding after the RLP body (100 to 299 zero bytes when absent). */
  readonly padding?: Uint8Array;
  /** The ECIES encryption's own randomness. */
  readonly ecies?: EciesRandomness;
}

/** An auth body as read (§3.1). */
export interface AuthBody {
  readonly signature: Uint8Array;
  /** The initiator's static public key, 65 bytes uncompressed. */
  readonly initiatorPublicKey: Uint8Array;
  readonly nonce: Uint8Array;
  readonly version: number;
  /** Further list elements, raw (EIP-8 forward compatibility). */
  readonly rest: readonly Uint8Array[];
  /** Whether the packet was pre-EIP-8. */
  readonly plain: boolean;
}

/** An ack body as read (§3.2). */
export interface AckBody {
  /** The recipient's ephemeral public key, 65 bytes uncompressed. */
  readonly ephemeralPublicKey: Uint8Array;
  readonly nonce: Uint8Array;
  readonly version: number;
  readonly rest: readonly Uint8Array[];
  readonly plain: boolean;
}

/** The running Keccak-256 state of a MAC (geth's `hash.Hash`): sums without finishing. */
export interface MacState {
  update(data: Uint8Array): MacState;
  /** The digest so far; the state goes on. */
  sum(): Uint8Array;
}

/** What a handshake yields (§3.4). */
export interface Secrets {
  /** The other side's static public key, 65 bytes uncompressed. */
  readonly remotePublicKey: Uint8Array;
  readonly aes: Uint8Array;
  readonly mac: Uint8Array;
  readonly egressMac: MacState;
  readonly ingressMac: MacState;
}

function macState(): MacState {
  const hash = keccak_256.create();
  const state: MacState = {
    update(data) {
      hash.update(data);
      return state;
    },
    sum: () => hash.clone().digest(),
  };
  return state;
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function fixed(what: string, bytes: Uint8Array | undefined, length: number): Uint8Array {
  if (bytes === undefined) return randomBytes(length);
  if (!(bytes instanceof Uint8Array) || bytes.length !== length)
    throw new RangeError(`${what} must be ${length} bytes`);
  return bytes;
}

function ephemeralKey(backend: CryptoBackend, key: Uint8Array | undefined): Uint8Array {
  if (key !== undefined) {
    if (!backend.isValidPrivateKey(key))
      throw new RangeError('randomness.ephemeralKey must be a valid private key');
    return key;
  }
  let fresh: Uint8Array;
  do fresh = randomBytes(32);
  while (!backend.isValidPrivateKey(fresh));
  return fresh;
}

/** A 64-byte key on the wire as 65 bytes uncompressed, if it is a point of the curve. */
function importPublicKey(backend: CryptoBackend, raw: Uint8Array): Uint8Array | undefined {
  const key = raw.length === 64 ? concat(Uint8Array.of(4), raw) : raw;
  return key.length === 65 && backend.isValidPublicKey(key) ? key : undefined;
}

/** The EIP-8 packet: size prefix ‖ ECIES(RLP body ‖ padding) with the prefix as shared MAC data. */
function sealEip8(
  body: Uint8Array,
  remotePublicKey: Uint8Array,
  backend: CryptoBackend,
  randomness: HandshakeRandomness,
): Uint8Array {
  const padding = randomness.padding ?? new Uint8Array(100 + Math.floor(Math.random() * 200));
  const size = body.length + padding.length + ECIES_OVERHEAD;
  if (size > 0xffff) throw new RangeError('handshake packet over 65535 bytes');
  const prefix = Uint8Array.of(size >>> 8, size & 0xff);
  const sealed = eciesEncrypt(concat(body, padding), remotePublicKey, backend, {
    sharedMacData: prefix,
    ...(randomness.ecies ? { randomness: randomness.ecies } : {}),
  });
  return concat(prefix, sealed);
}

/**
 * How many bytes a handshake packet needs in all, given its first `plainSize` bytes
 * (§3.3): `plainSize` if they decrypt as a pre-EIP-8 packet, else 2 + the size prefix.
 * Returns the plaintext of a plain packet with it.
 *
 * @throws RlpxError `code` when the size prefix is below `plainSize` (geth's "size underflow")
 */
export function handshakePacketSize(
  head: Uint8Array,
  plainSize: number,
  privateKey: Uint8Array,
  code: 'bad-auth' | 'bad-ack',
  backend: CryptoBackend = defaultBackend,
): { size: number; plaintext?: Uint8Array } {
  const plain = eciesDecrypt(head.subarray(0, plainSize), privateKey, backend);
  if (plain.ok) return { size: plainSize, plaintext: plain.plaintext };
  const size = (head[0]! << 8) | head[1]!;
  if (size < plainSize)
    throw new RlpxError(code, `size underflow, need at least ${plainSize} bytes`);
  return { size: size + 2 };
}

/** Decrypts an EIP-8 packet's body (the prefix is the shared MAC data). */
function openEip8(
  packet: Uint8Array,
  privateKey: Uint8Array,
  backend: CryptoBackend,
  code: 'bad-auth' | 'bad-ack',
): Uint8Array {
  const opened = eciesDecrypt(packet.subarray(2), privateKey, backend, {
    sharedMacData: packet.subarray(0, 2),
  });
  if (!opened.ok) throw new RlpxError(code, `handshake packet: ${opened.detail}`);
  return opened.plaintext;
}

/** The fixed-size byte string of a list, as geth decodes into `[N]byte`. */
function fixedString(s: RlpStream, length: number, what: string): Uint8Array {
  const bytes = s.string();
  if (bytes.length !== length)
    throw new Error(`${what}: ${bytes.length} bytes, expected ${length}`);
  return bytes;
}

/** The raw remaining items of the current list (EIP-8's forward-compatible tail). */
function rawRest(plaintext: Uint8Array, s: RlpStream): Uint8Array[] {
  const rest: Uint8Array[] = [];
  const header = itemHeader();
  while (!s.atListEnd()) {
    const start = s.offset;
    readHeader(plaintext, start, plaintext.length, header);
    rest.push(plaintext.slice(start, header.end));
    // Step over the item whatever its kind.
    if (s.nextIsList()) {
      s.list();
      s.leave();
    } else s.view();
  }
  return rest;
}

/** Parameters of the initiator's side. */
export interface InitiatorInput {
  /** This node's static private key, 32 bytes. */
  readonly staticKey: Uint8Array;
  /** The recipient's static public key, 65 bytes (or 64 without the 0x04 prefix). */
  readonly remotePublicKey: Uint8Array;
  readonly randomness?: HandshakeRandomness;
  readonly backend?: CryptoBackend;
}

/**
 * The initiator's handshake: `auth` is sent first; the ack read back gives the secrets.
 *
 * @example
 * ```ts
 * const initiator = new InitiatorHandshake({ staticKey, remotePublicKey });
 * socket.write(initiator.auth);
 * // … read the ack packet …
 * const secrets = initiator.finish(ackPacket);
 * ```
 */
export class InitiatorHandshake {
  /** The EIP-8 auth packet to send. */
  readonly auth: Uint8Array;
  private readonly staticKey: Uint8Array;
  private readonly remotePublicKey: Uint8Array;
  private readonly ephemeralKey: Uint8Array;
  private readonly nonce: Uint8Array;
  private readonly backend: CryptoBackend;

  /** @throws TypeError if a key is not valid; RangeError for randomness of the wrong size */
  constructor(input: InitiatorInput) {
    const backend = input.backend ?? defaultBackend;
    this.backend = backend;
    if (!backend.isValidPrivateKey(input.staticKey))
      throw new TypeError('staticKey must be a valid secp256k1 private key');
    const remote = importPublicKey(backend, input.remotePublicKey);
    if (!remote) throw new TypeError('remotePublicKey must be a secp256k1 public key');
    this.staticKey = input.staticKey;
    this.remotePublicKey = remote;
    const randomness = input.randomness ?? {};
    this.ephemeralKey = ephemeralKey(backend, randomness.ephemeralKey);
    this.nonce = fixed('randomness.nonce', randomness.nonce, NONCE_LENGTH);
    // Sign static-shared-secret ^ nonce with the ephemeral key (§3.1).
    const token = backend.ecdhX(this.staticKey, this.remotePublicKey);
    const signature = backend.signRecoverable(xor(token, this.nonce), this.ephemeralKey);
    const body = encodeList([
      encodeBytes(signature),
      encodeBytes(backend.publicKeyCreate(this.staticKey).subarray(1)),
      encodeBytes(this.nonce),
      encodeUint(RLPX_VERSION),
    ]);
    this.auth = sealEip8(body, this.remotePublicKey, backend, randomness);
  }

  /**
   * Reads the recipient's ack packet (either encoding) and derives the secrets.
   *
   * @throws RlpxError 'bad-ack'
   */
  finish(ackPacket: Uint8Array): Secrets {
    const ack = readAck(ackPacket, this.staticKey, this.backend);
    return deriveSecrets({
      initiator: true,
      ephemeralKey: this.ephemeralKey,
      remoteEphemeralPublicKey: ack.ephemeralPublicKey,
      initiatorNonce: this.nonce,
      recipientNonce: ack.nonce,
      authPacket: this.auth,
      ackPacket,
      remotePublicKey: this.remotePublicKey,
      backend: this.backend,
    });
  }
}

/**
 * Reads an auth packet (pre-EIP-8 or EIP-8) with the recipient's static key.
 *
 * @throws RlpxError 'bad-auth'
 */
export function readAuth(
  packet: Uint8Array,
  privateKey: Uint8Array,
  backend: CryptoBackend = defaultBackend,
): AuthBody {
  if (packet.length < AUTH_PACKET_PLAIN_SIZE)
    throw new RlpxError('bad-auth', `auth packet of ${packet.length} bytes`);
  const head = handshakePacketSize(packet, AUTH_PACKET_PLAIN_SIZE, privateKey, 'bad-auth', backend);
  if (head.plaintext) {
    if (packet.length !== AUTH_PACKET_PLAIN_SIZE)
      throw new RlpxError('bad-auth', 'bytes after a plain auth packet');
    const p = head.plaintext;
    const initiator = importPublicKey(backend, p.subarray(SIG_LENGTH + 32, SIG_LENGTH + 32 + 64));
    if (!initiator) throw new RlpxError('bad-auth', 'initiator public key is not on the curve');
    return {
      signature: p.slice(0, SIG_LENGTH),
      initiatorPublicKey: initiator,
      nonce: p.slice(SIG_LENGTH + 32 + 64, SIG_LENGTH + 32 + 64 + NONCE_LENGTH),
      version: RLPX_VERSION,
      rest: [],
      plain: true,
    };
  }
  if (packet.length !== head.size)
    throw new RlpxError(
      'bad-auth',
      `auth packet of ${packet.length} bytes, prefix says ${head.size}`,
    );
  const plaintext = openEip8(packet, privateKey, backend, 'bad-auth');
  try {
    // Not strict: trailing data after the list is allowed (EIP-8).
    const s = new RlpStream(plaintext);
    s.list();
    const signature = fixedString(s, SIG_LENGTH, 'signature');
    const pub = fixedString(s, PUB_LENGTH, 'initiator public key');
    const nonce = fixedString(s, NONCE_LENGTH, 'nonce');
    const version = s.uintNumber(6);
    const rest = rawRest(plaintext, s);
    s.leave();
    const initiator = importPublicKey(backend, pub);
    if (!initiator) throw new Error('initiator public key is not on the curve');
    return { signature, initiatorPublicKey: initiator, nonce, version, rest, plain: false };
  } catch (error) {
    if (error instanceof RlpxError) throw error;
    throw new RlpxError('bad-auth', `auth body: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Reads an ack packet (pre-EIP-8 or EIP-8) with the initiator's static key.
 *
 * @throws RlpxError 'bad-ack'
 */
export function readAck(
  packet: Uint8Array,
  privateKey: Uint8Array,
  backend: CryptoBackend = defaultBackend,
): AckBody {
  if (packet.length < ACK_PACKET_PLAIN_SIZE)
    throw new RlpxError('bad-ack', `ack packet of ${packet.length} bytes`);
  const head = handshakePacketSize(packet, ACK_PACKET_PLAIN_SIZE, privateKey, 'bad-ack', backend);
  if (head.plaintext) {
    if (packet.length !== ACK_PACKET_PLAIN_SIZE)
      throw new RlpxError('bad-ack', 'bytes after a plain ack packet');
    const ephemeral = importPublicKey(backend, head.plaintext.subarray(0, PUB_LENGTH));
    if (!ephemeral) throw new RlpxError('bad-ack', 'ephemeral public key is not on the curve');
    return {
      ephemeralPublicKey: ephemeral,
      nonce: head.plaintext.slice(PUB_LENGTH, PUB_LENGTH + NONCE_LENGTH),
      version: RLPX_VERSION,
      rest: [],
      plain: true,
    };
  }
  if (packet.length !== head.size)
    throw new RlpxError(
      'bad-ack',
      `ack packet of ${packet.length} bytes, prefix says ${head.size}`,
    );
  const plaintext = openEip8(packet, privateKey, backend, 'bad-ack');
  try {
    const s = new RlpStream(plaintext);
    s.list();
    const pub = fixedString(s, PUB_LENGTH, 'ephemeral public key');
    const nonce = fixedString(s, NONCE_LENGTH, 'nonce');
    const version = s.uintNumber(6);
    const rest = rawRest(plaintext, s);
    s.leave();
    const ephemeral = importPublicKey(backend, pub);
    if (!ephemeral) throw new Error('ephemeral public key is not on the curve');
    return { ephemeralPublicKey: ephemeral, nonce, version, rest, plain: false };
  } catch (error) {
    if (error instanceof RlpxError) throw error;
    throw new RlpxError('bad-ack', `ack body: ${(error as Error).message}`, { cause: error });
  }
}

/** Parameters of the recipient's side. */
export interface RecipientInput {
  /** This node's static private key, 32 bytes. */
  readonly staticKey: Uint8Array;
  readonly randomness?: HandshakeRandomness;
  readonly backend?: CryptoBackend;
}

/**
 * The recipient's answer to an auth packet: the ack to send (plain to a plain auth, as geth
 * does, else EIP-8) and the secrets.
 *
 * @throws RlpxError 'bad-auth' (the packet, or a signature that recovers no key)
 */
export function answerAuth(
  authPacket: Uint8Array,
  input: RecipientInput,
): { ack: Uint8Array; auth: AuthBody; secrets: Secrets } {
  const backend = input.backend ?? defaultBackend;
  const auth = readAuth(authPacket, input.staticKey, backend);
  const randomness = input.randomness ?? {};
  const ephemeral = ephemeralKey(backend, randomness.ephemeralKey);
  const nonce = fixed('randomness.nonce', randomness.nonce, NONCE_LENGTH);
  // The initiator's ephemeral key is recovered from its signature over token ^ nonce.
  const token = backend.ecdhX(input.staticKey, auth.initiatorPublicKey);
  const remoteEphemeral = backend.recoverPublicKey(xor(token, auth.nonce), auth.signature);
  if (!remoteEphemeral) throw new RlpxError('bad-auth', 'auth signature recovers no key');
  const ephemeralPublic = backend.publicKeyCreate(ephemeral).subarray(1);
  const ack = auth.plain
    ? eciesEncrypt(
        concat(ephemeralPublic, nonce, Uint8Array.of(0)),
        auth.initiatorPublicKey,
        backend,
        randomness.ecies ? { randomness: randomness.ecies } : {},
      )
    : sealEip8(
        encodeList([encodeBytes(ephemeralPublic), encodeBytes(nonce), encodeUint(RLPX_VERSION)]),
        auth.initiatorPublicKey,
        backend,
        randomness,
      );
  const secrets = deriveSecrets({
    initiator: false,
    ephemeralKey: ephemeral,
    remoteEphemeralPublicKey: remoteEphemeral,
    initiatorNonce: auth.nonce,
    recipientNonce: nonce,
    authPacket,
    ackPacket: ack,
    remotePublicKey: auth.initiatorPublicKey,
    backend,
  });
  return { ack, auth, secrets };
}

/** What §3.4's derivation takes. */
export interface SecretsInput {
  readonly initiator: boolean;
  /** This side's ephemeral private key. */
  readonly ephemeralKey: Uint8Array;
  /** The other side's ephemeral public key, 65 bytes. */
  readonly remoteEphemeralPublicKey: Uint8Array;
  readonly initiatorNonce: Uint8Array;
  readonly recipientNonce: Uint8Array;
  /** The auth and ack packets exactly as sent, prefix included. */
  readonly authPacket: Uint8Array;
  readonly ackPacket: Uint8Array;
  readonly remotePublicKey: Uint8Array;
  readonly backend?: CryptoBackend;
}

/**
 * §3.4: ecdhe = ECDH(ephemeral keys); shared = keccak(ecdhe ‖ keccak(resp nonce ‖ init nonce));
 * aes = keccak(ecdhe ‖ shared); mac = keccak(ecdhe ‖ aes); the MAC states seeded with
 * (mac ^ nonce) ‖ packet, egress and ingress by side.
 *
 * @throws nothing for valid keys
 */
export function deriveSecrets(input: SecretsInput): Secrets {
  const backend = input.backend ?? defaultBackend;
  const ecdhe = backend.ecdhX(input.ephemeralKey, input.remoteEphemeralPublicKey);
  const shared = keccak256(
    concat(ecdhe, keccak256(concat(input.recipientNonce, input.initiatorNonce))),
  );
  const aes = keccak256(concat(ecdhe, shared));
  const mac = keccak256(concat(ecdhe, aes));
  const mac1 = macState().update(xor(mac, input.recipientNonce)).update(input.authPacket);
  const mac2 = macState().update(xor(mac, input.initiatorNonce)).update(input.ackPacket);
  return {
    remotePublicKey: input.remotePublicKey,
    aes,
    mac,
    egressMac: input.initiator ? mac1 : mac2,
    ingressMac: input.initiator ? mac2 : mac1,
  };
}
