/**
 * HandshakeState (Noise Protocol Framework rev. 34 §5.3): runs a handshake pattern for one
 * side, message by message, then gives the transport ciphers. The handshake refuses to write
 * or read out of turn, and `complete` stays false until the last message has been processed,
 * so that transport keys exist only once the pattern's authentication is done.
 */
import { type CipherState, MAX_MESSAGE_LENGTH, SymmetricState } from './cipher-state.js';
import { NoiseError } from './errors.js';
import { type HandshakePattern, handshakePattern, type Token } from './patterns.js';
import {
  CIPHERS,
  type CipherFunction,
  DH,
  type DhFunction,
  HASHES,
  type HashFunction,
} from './primitives.js';

/** A key pair of the handshake's DH function. */
export interface KeyPair {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** A parsed protocol name: `Noise_<pattern>_<dh>_<cipher>_<hash>`. */
export interface NoiseProtocol {
  readonly name: string;
  readonly pattern: HandshakePattern;
  readonly dh: DhFunction;
  readonly cipher: CipherFunction;
  readonly hash: HashFunction;
}

/**
 * Parses a protocol name.
 *
 * @throws NoiseError 'unknown-protocol'
 */
export function noiseProtocol(name: string): NoiseProtocol {
  const parts = name.split('_');
  const dh = DH[parts[2] ?? ''];
  const cipher = CIPHERS[parts[3] ?? ''];
  const hash = HASHES[parts[4] ?? ''];
  if (parts.length !== 5 || parts[0] !== 'Noise' || !dh || !cipher || !hash)
    throw new NoiseError('unknown-protocol', `unknown Noise protocol ${name}`);
  return { name, pattern: handshakePattern(parts[1]!), dh, cipher, hash };
}

/** What one side brings to a handshake. */
export interface HandshakeOptions {
  /** e.g. `Noise_XX_25519_ChaChaPoly_SHA256`. */
  readonly protocol: string;
  readonly initiator: boolean;
  readonly prologue?: Uint8Array;
  /** This side's static private key, when the pattern sends or uses one. */
  readonly staticKey?: Uint8Array;
  /** The other side's static public key, when the pattern has it known in advance. */
  readonly remoteStaticKey?: Uint8Array;
  /** Pre-shared keys (32 bytes each), in the order the pattern's psk tokens use them. */
  readonly psks?: readonly Uint8Array[];
  /** A fixed ephemeral private key: for test vectors only, never in use. */
  readonly ephemeralKey?: Uint8Array;
}

function keyPair(dh: DhFunction, privateKey: Uint8Array, what: string): KeyPair {
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== dh.dhLen)
    throw new NoiseError('missing-key', `${what} must be ${dh.dhLen} bytes`);
  return { privateKey, publicKey: dh.publicKey(privateKey) };
}

/** One side of a handshake in progress. */
export class HandshakeState {
  readonly protocol: NoiseProtocol;
  readonly initiator: boolean;
  private readonly symmetric: SymmetricState;
  private readonly s: KeyPair | undefined;
  private e: KeyPair | undefined;
  private rs: Uint8Array | undefined;
  private re: Uint8Array | undefined;
  private readonly psks: Uint8Array[];
  private readonly fixedEphemeral: Uint8Array | undefined;
  private readonly usesPsk: boolean;
  private index = 0;
  private transport: { send: CipherState; receive: CipherState } | undefined;

  /**
   * @throws NoiseError 'unknown-protocol', or 'missing-key' when the pattern needs a key
   *   that was not given (a static key it sends, a remote key known in advance, a PSK)
   */
  constructor(options: HandshakeOptions) {
    this.protocol = noiseProtocol(options.protocol);
    this.initiator = options.initiator;
    const { dh, pattern } = this.protocol;
    this.symmetric = new SymmetricState(options.protocol, this.protocol.cipher, this.protocol.hash);
    this.symmetric.mixHash(options.prologue ?? new Uint8Array(0));
    this.s = options.staticKey ? keyPair(dh, options.staticKey, 'staticKey') : undefined;
    this.rs = options.remoteStaticKey;
    this.fixedEphemeral = options.ephemeralKey;
    this.psks = [...(options.psks ?? [])];
    this.usesPsk = pattern.messages.some((m) => m.includes('psk'));
    const needed = pattern.messages.flat().filter((t) => t === 'psk').length;
    if (this.psks.length < needed || this.psks.some((k) => k.length !== 32))
      throw new NoiseError('missing-key', `${pattern.name} needs ${needed} 32-byte PSKs`);
    const mine = this.initiator ? pattern.initiatorPre : pattern.responderPre;
    const theirs = this.initiator ? pattern.responderPre : pattern.initiatorPre;
    const sends = (this.initiator ? this.messagesOf(0) : this.messagesOf(1)).flat();
    if ((mine.includes('s') || sends.includes('s')) && !this.s)
      throw new NoiseError('missing-key', `${pattern.name} needs this side's staticKey`);
    if (theirs.includes('s') && !(this.rs instanceof Uint8Array && this.rs.length === dh.dhLen))
      throw new NoiseError('missing-key', `${pattern.name} needs the remoteStaticKey`);
    // Pre-messages: the initiator's first, then the responder's (§5.3 Initialize).
    for (const [side, keys] of [
      [true, pattern.initiatorPre],
      [false, pattern.responderPre],
    ] as const) {
      for (const token of keys) {
        if (token !== 's') continue;
        this.symmetric.mixHash(side === this.initiator ? this.s!.publicKey : this.rs!);
      }
    }
  }

  /** The messages one side sends: even indexes are the initiator's. */
  private messagesOf(parity: 0 | 1): (readonly Token[])[] {
    return this.protocol.pattern.messages.filter((_, i) => i % 2 === parity);
  }

  /** Whether the next handshake message is this side's to write. */
  get myTurn(): boolean {
    return !this.complete && this.index % 2 === (this.initiator ? 0 : 1);
  }

  /** Whether every handshake message has been processed. */
  get complete(): boolean {
    return this.index >= this.protocol.pattern.messages.length;
  }

  /** The handshake hash h: after the handshake, a value both sides share. */
  get handshakeHash(): Uint8Array {
    return this.symmetric.h;
  }

  /** The other side's static public key, once known. */
  get remoteStaticKey(): Uint8Array | undefined {
    return this.rs?.slice();
  }

  private dh(token: 'ee' | 'es' | 'se' | 'ss'): Uint8Array {
    const { dh } = this.protocol;
    // es: the initiator's e with the responder's s; se: the initiator's s with the responder's e.
    const local = token[this.initiator ? 0 : 1] === 'e' ? this.e : this.s;
    const remote = token[this.initiator ? 1 : 0] === 'e' ? this.re : this.rs;
    if (!local || !remote) throw new NoiseError('missing-key', `${token} needs keys not known`);
    return dh.dh(local.privateKey, remote);
  }

  /**
   * Writes the next handshake message carrying `payload`.
   *
   * @throws NoiseError 'out-of-turn', 'bad-message' (over 65,535 bytes) or 'nonce-exhausted'
   */
  writeMessage(payload: Uint8Array = new Uint8Array(0)): Uint8Array {
    if (!this.myTurn) throw new NoiseError('out-of-turn', 'not this side’s message to write');
    const { dh } = this.protocol;
    const parts: Uint8Array[] = [];
    for (const token of this.protocol.pattern.messages[this.index]!) {
      if (token === 'e') {
        this.e = keyPair(dh, this.fixedEphemeral ?? dh.generatePrivateKey(), 'ephemeralKey');
        parts.push(this.e.publicKey);
        this.symmetric.mixHash(this.e.publicKey);
        if (this.usesPsk) this.symmetric.mixKey(this.e.publicKey);
      } else if (token === 's') {
        parts.push(this.symmetric.encryptAndHash(this.s!.publicKey));
      } else if (token === 'psk') {
        this.symmetric.mixKeyAndHash(this.psks.shift()!);
      } else {
        this.symmetric.mixKey(this.dh(token));
      }
    }
    parts.push(this.symmetric.encryptAndHash(payload));
    const message = join(parts);
    if (message.length > MAX_MESSAGE_LENGTH)
      throw new NoiseError('bad-message', `handshake message of ${message.length} bytes`);
    this.advance();
    return message;
  }

  /**
   * Reads the other side's next handshake message; returns its payload.
   *
   * @throws NoiseError 'out-of-turn', 'bad-message' or 'decrypt-failed'
   */
  readMessage(message: Uint8Array): Uint8Array {
    if (this.complete || this.myTurn)
      throw new NoiseError('out-of-turn', 'not the other side’s message to read');
    if (message.length > MAX_MESSAGE_LENGTH)
      throw new NoiseError('bad-message', `message of ${message.length} bytes`);
    const { dh } = this.protocol;
    const tag = 16;
    let at = 0;
    const take = (length: number) => {
      if (at + length > message.length)
        throw new NoiseError('bad-message', 'handshake message too short');
      const part = message.subarray(at, at + length);
      at += length;
      return part;
    };
    for (const token of this.protocol.pattern.messages[this.index]!) {
      if (token === 'e') {
        this.re = take(dh.dhLen).slice();
        this.symmetric.mixHash(this.re);
        if (this.usesPsk) this.symmetric.mixKey(this.re);
      } else if (token === 's') {
        const length = dh.dhLen + (this.symmetric.hasKey() ? tag : 0);
        this.rs = this.symmetric.decryptAndHash(take(length)).slice();
      } else if (token === 'psk') {
        this.symmetric.mixKeyAndHash(this.psks.shift()!);
      } else {
        this.symmetric.mixKey(this.dh(token));
      }
    }
    const payload = this.symmetric.decryptAndHash(message.subarray(at));
    this.advance();
    return payload;
  }

  private advance(): void {
    this.index++;
    if (this.complete) {
      const [i2r, r2i] = this.symmetric.split();
      this.transport = this.initiator ? { send: i2r, receive: r2i } : { send: r2i, receive: i2r };
    }
  }

  /**
   * The transport ciphers, once the handshake is complete.
   *
   * @throws NoiseError 'out-of-turn' before the handshake is complete
   */
  transportCiphers(): { send: CipherState; receive: CipherState } {
    if (!this.transport)
      throw new NoiseError('out-of-turn', 'the handshake is not complete: no transport keys yet');
    return this.transport;
  }
}

function join(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
