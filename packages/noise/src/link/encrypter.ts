/**
 * The Noise link (specs/whisper-v6 SPEC §7.6): authenticates and encrypts a carrier's raw
 * channel. The dialer runs Noise_XX_25519_ChaChaPoly_SHA256, or Noise_IK_… when it knows the
 * other side's static key; each side's static key is bound to its secp256k1 identity by the
 * signature in its handshake payload (`./binding.ts`). The first carrier message starts with
 * one byte naming the pattern, which the prologue covers. No application data travels in a
 * handshake message; an IK responder waits for the dialer's first transport message (an empty
 * key confirmation) before it calls the connection open, so a replayed first message opens
 * nothing.
 */
import {
  type AbortOptions,
  type Clock,
  type Connection,
  type ConnectionEncrypter,
  type ConnectionLimits,
  type Identity,
  type IdentityVerifier,
  type PeerId,
  peerIdFromPublicKey,
  type RawChannel,
  resolveLimits,
  type SecureOutboundOptions,
  systemClock,
  TransportError,
} from '@hush/interface';
import { HandshakeState } from '../handshake.js';
import { DH } from '../primitives.js';
import { encodeBinding, verifyBinding } from './binding.js';
import { LinkConnection } from './connection.js';
import { openFrame, sealFrame } from './framing.js';

/** The pattern byte that opens a link's first message. */
const PATTERN_BYTE = { XX: 0x58, IK: 0x49 } as const;
const PROTOCOL = {
  XX: 'Noise_XX_25519_ChaChaPoly_SHA256',
  IK: 'Noise_IK_25519_ChaChaPoly_SHA256',
} as const;
/** Handshake messages are a few hundred bytes; anything larger is refused unread. */
const MAX_HANDSHAKE_MESSAGE = 1024;

/** What a Noise link needs to know about this side. */
export interface NoiseLinkOptions {
  /** The node's identity, which every link proves. */
  readonly identity: Identity;
  /** Checks the other side's identity signature. */
  readonly verifier: IdentityVerifier;
  /** This side's 32-byte X25519 static private key. */
  readonly staticKey: Uint8Array;
  /**
   * Names the protocol the link carries (`hush-gossip/2`); it is the prologue, so two
   * protocols' links never complete with each other.
   */
  readonly protocol: string;
  readonly limits?: ConnectionLimits;
  readonly clock?: Clock;
  /**
   * Decides, once the other side is authenticated and before anything else happens, whether
   * to keep it (a direct channel keeps only contacts). Default: everyone.
   */
  readonly authorize?: (peer: PeerId, remoteKey: Uint8Array) => boolean;
}

/** A Noise link encrypter also tells its static public key (for addresses). */
export interface NoiseLinkEncrypter extends ConnectionEncrypter {
  readonly identity: Identity;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function concat(head: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 1);
  out[0] = head;
  out.set(body, 1);
  return out;
}

/**
 * The Noise link encrypter of one node.
 *
 * @throws RangeError when `staticKey` is not 32 bytes
 * @example
 * ```ts
 * const encrypter = noiseLinkEncrypter({ identity, verifier, staticKey, protocol: 'hush-gossip/2' });
 * const connection = await encrypter.secureOutbound(rawChannel);
 * connection.remotePeer; // the other node's secp256k1 identity, proven
 * ```
 */
export function noiseLinkEncrypter(options: NoiseLinkOptions): NoiseLinkEncrypter {
  if (!(options.staticKey instanceof Uint8Array) || options.staticKey.length !== 32)
    throw new RangeError('staticKey: must be a 32-byte X25519 private key');
  const limits = resolveLimits(options.limits);
  const clock = options.clock ?? systemClock;
  const staticPublic = DH['25519']!.publicKey(options.staticKey);
  const protocolBytes = new TextEncoder().encode(options.protocol);
  const binding = encodeBinding(options.identity, staticPublic);
  const prologue = (pattern: 'XX' | 'IK') => {
    const out = new Uint8Array(protocolBytes.length + 1);
    out.set(protocolBytes, 0);
    out[protocolBytes.length] = PATTERN_BYTE[pattern];
    return out;
  };

  function run(
    raw: RawChannel,
    outbound: boolean,
    outboundOptions: SecureOutboundOptions,
  ): Promise<Connection> {
    return new Promise<Connection>((resolve, reject) => {
      let pattern: 'XX' | 'IK' | undefined = outbound
        ? outboundOptions.remoteStaticKey
          ? 'IK'
          : 'XX'
        : undefined;
      let handshake: HandshakeState | undefined;
      let connection: LinkConnection | undefined;
      let confirming: { remoteKey: Uint8Array } | undefined;
      let settled = false;
      const signal = outboundOptions.signal;

      const fail = (
        detail: string,
        reason: 'handshake-failed' | 'handshake-timeout' = 'handshake-failed',
        cause?: unknown,
      ) => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        raw.close();
        reject(
          new TransportError(
            'handshake-failed',
            `handshake with ${raw.remoteAddress} failed (${reason}): ${detail}`,
            cause === undefined ? {} : { cause },
          ),
        );
      };
      const onAbort = () => fail('aborted', 'handshake-failed', signal?.reason);
      const timer = clock.setTimeout(
        () => fail('timed out', 'handshake-timeout'),
        limits.handshakeTimeoutMs,
      );
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });

      /**
       * The other side is who it says: returns its key, or fails and returns undefined.
       * `authorize` is asked too unless `later` (an IK responder asks once the dialer has
       * confirmed the keys, so a replayed first message learns nothing of its answer).
       */
      const authenticate = (payload: Uint8Array, later = false): Uint8Array | undefined => {
        const remoteStatic = handshake!.remoteStaticKey!;
        const remoteKey = verifyBinding(payload, remoteStatic, options.verifier);
        if (!remoteKey) return void fail('the identity signature does not match the static key');
        if (equalBytes(remoteKey, options.identity.publicKey))
          return void fail('connected to itself');
        const peer = peerIdFromPublicKey(remoteKey);
        if (outboundOptions.remotePeer && peer !== outboundOptions.remotePeer)
          return void fail(`reached ${peer.slice(0, 16)}…, not the peer dialed`);
        if (!later && !authorized(remoteKey)) return void fail('peer not authorized');
        return remoteKey;
      };
      const authorized = (remoteKey: Uint8Array) =>
        !options.authorize || options.authorize(peerIdFromPublicKey(remoteKey), remoteKey);

      const open = (remoteKey: Uint8Array) => {
        settled = true;
        clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        connection = new LinkConnection({
          raw,
          outbound,
          remoteKey,
          remoteStaticKey: handshake!.remoteStaticKey!,
          ciphers: handshake!.transportCiphers(),
          limits,
          clock,
        });
        connection.touch();
        resolve(connection);
      };

      const start = (which: 'XX' | 'IK', remoteStaticKey?: Uint8Array) => {
        handshake = new HandshakeState({
          protocol: PROTOCOL[which],
          initiator: outbound,
          prologue: prologue(which),
          staticKey: options.staticKey,
          ...(remoteStaticKey ? { remoteStaticKey } : {}),
        });
      };

      const step = (message: Uint8Array) => {
        if (message.length > MAX_HANDSHAKE_MESSAGE) return fail('handshake message too large');
        if (confirming) {
          // IK responder: the dialer's first transport message confirms it holds the keys.
          const frame = openFrame(handshake!.transportCiphers().receive, message);
          if (frame.length !== 0) return fail('key confirmation carries data');
          if (!authorized(confirming.remoteKey)) return fail('peer not authorized');
          return open(confirming.remoteKey);
        }
        if (!handshake) {
          // Responder, first message: the pattern byte, then Noise message 1.
          pattern =
            message[0] === PATTERN_BYTE.XX
              ? 'XX'
              : message[0] === PATTERN_BYTE.IK
                ? 'IK'
                : undefined;
          if (!pattern) return fail('unknown handshake pattern');
          start(pattern);
          const payload = handshake!.readMessage(message.subarray(1));
          if (pattern === 'XX') {
            if (payload.length !== 0) return fail('data in the first handshake message');
            raw.send(handshake!.writeMessage(binding));
            return;
          }
          const remoteKey = authenticate(payload, true);
          if (!remoteKey) return;
          raw.send(handshake!.writeMessage(binding));
          confirming = { remoteKey };
          return;
        }
        const payload = handshake.readMessage(message);
        const remoteKey = authenticate(payload);
        if (!remoteKey) return;
        if (outbound && pattern === 'XX') raw.send(handshake.writeMessage(binding));
        if (outbound && pattern === 'IK')
          raw.send(sealFrame(handshake.transportCiphers().send, new Uint8Array(0)));
        open(remoteKey);
      };

      raw.onActivity?.(() => connection?.touch());
      raw.onClose((detail) => {
        if (!connection) return fail(`channel closed${detail ? `: ${detail}` : ''}`);
        // 1009 (message too big): the WebSocket layer refused a message over its payload
        // limit, which is this side's frame limit: an oversize frame (SPEC §7.7).
        if (detail?.startsWith('1009')) connection.ended('frame-too-large', detail);
        else connection.ended('remote', detail);
      });
      raw.onMessage((message) => {
        if (connection) return connection.incoming(message);
        if (settled) return;
        try {
          step(message);
        } catch (error) {
          fail(
            `malformed handshake message: ${(error as Error).message}`,
            'handshake-failed',
            error,
          );
        }
      });
      if (outbound) {
        start(pattern!, outboundOptions.remoteStaticKey);
        try {
          raw.send(
            concat(
              PATTERN_BYTE[pattern!],
              handshake!.writeMessage(pattern === 'IK' ? binding : new Uint8Array(0)),
            ),
          );
        } catch (error) {
          fail(`cannot start: ${(error as Error).message}`, 'handshake-failed', error);
        }
      }
    });
  }

  return {
    protocol: `${options.protocol} ${PROTOCOL.XX}`,
    staticKey: staticPublic,
    identity: options.identity,
    secureOutbound: (raw, outboundOptions = {}) => run(raw, true, outboundOptions),
    secureInbound: (raw, inboundOptions: AbortOptions = {}) => run(raw, false, inboundOptions),
  };
}
