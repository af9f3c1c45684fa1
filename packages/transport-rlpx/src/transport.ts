/**
 * RLPx over TCP as a Hush {@link Transport} (specs/rlpx SPEC §6–§8): it listens on a TCP
 * port and dials `enode://` URLs; each connection carries one capability (Whisper: shh 6)
 * and hands its messages on as RLP [code, payload] frames, so the gossip engine runs over it
 * as over the Noise link. Inbound handshakes in progress are capped; connections are tracked
 * so that closing the transport closes them.
 */
import { createRequire } from 'node:module';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { type CryptoBackend, defaultBackend } from '@hush/crypto';
import {
  type Clock,
  type Connection,
  type ConnectionLimits,
  type DialOptions,
  type Metrics,
  noMetrics,
  type PeerId,
  peerIdFromPublicKey,
  resolveLimits,
  systemClock,
  type Transport,
  TransportError,
} from '@hush/interface';
import type { Capability } from './devp2p.js';
import { formatEnode, parseEnode } from './enode.js';
import type { HandshakeRandomness } from './handshake.js';
import { RlpxConnection, type RlpxSessionMetrics } from './session.js';

/** Whisper v6's capability: shh, version 6, 128 message codes (geth's NumberOfMessageCodes). */
export const SHH_CAPABILITY: Required<Capability> = { name: 'shh', version: 6, length: 128 };
/** Inbound handshakes in progress at most; past it new sockets are closed unread. */
const MAX_PENDING_HANDSHAKES = 64;
/** geth's handshake timeout: both handshakes within 5 s. */
const HANDSHAKE_TIMEOUT_MS = 5_000;
/** geth's frameReadTimeout: a peer that sends nothing for 30 s (pings come every 15 s) is gone. */
const READ_TIMEOUT_MS = 30_000;
/** geth's defaultDialTimeout: the TCP connection within 15 s. */
const DIAL_TIMEOUT_MS = 15_000;

/**
 * This package's version, from its own package.json: `../package.json` of the module, the same
 * from src/ (tsx, vitest) as from dist/, both beside it. A layout without it (a bundle) says
 * `unknown` rather than failing to load.
 *
 * @param moduleUrl the module to look from (default this one)
 */
export function packageVersion(moduleUrl: string = import.meta.url): string {
  try {
    const { version } = createRequire(moduleUrl)('../package.json') as { version?: unknown };
    return typeof version === 'string' && version !== '' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * The hello's client name, in the shape of geth's `Geth/v1.8.27-stable/linux-amd64/go1.12`:
 * `Hush/v<version>/<platform>-<arch>/node<version>`, e.g. `Hush/v0.1.0/linux-x64/node20.19.0`.
 */
export const DEFAULT_CLIENT_NAME = `Hush/v${packageVersion()}/${process.platform}-${process.arch}/node${process.versions.node}`;

/** Settings of an RLPx transport. */
export interface RlpxTransportOptions {
  /** This node's 32-byte secp256k1 key: its identity in the handshake and its enode id. */
  readonly privateKey: Uint8Array;
  /** Where to listen (default 127.0.0.1); `listen()` is only needed to accept. */
  readonly host?: string;
  /** TCP port (default 30303; 0 picks one). */
  readonly port?: number;
  /** The host put in this node's enode URL (default: `host`, or 127.0.0.1 for a wildcard). */
  readonly announceHost?: string;
  /** The capability connections carry (default {@link SHH_CAPABILITY}). */
  readonly capability?: Required<Capability>;
  /** The hello's client name (default {@link DEFAULT_CLIENT_NAME}). */
  readonly clientName?: string;
  /** Per-connection limits; handshake 5 s and idle 30 s unless given, as geth. */
  readonly limits?: ConnectionLimits;
  readonly clock?: Clock;
  readonly backend?: CryptoBackend;
  /** Registers `hush_rlpx_refused_total{reason}`. */
  readonly metrics?: Metrics;
  /** Fixed handshake randomness for every connection (tests and vectors only). */
  readonly randomness?: HandshakeRandomness;
}

/** An RLPx transport, with its enode URL once listening. */
export interface RlpxTransport extends Transport {
  readonly peerId: PeerId;
  /** This node's public key, 65 bytes. */
  readonly publicKey: Uint8Array;
  /** The TCP port listened on (after `listen`), else undefined. */
  readonly port: number | undefined;
}

/**
 * An RLPx transport.
 *
 * @example
 * ```ts
 * const transport = rlpxTransport({ privateKey: nodeKey, port: 30303 });
 * const node = createGossipNode({ key: nodeKey, transport, bootstrap: ['enode://…@10.0.0.2:30303'] });
 * ```
 *
 * @throws TypeError if `privateKey` is not a valid secp256k1 key
 */
export function rlpxTransport(options: RlpxTransportOptions): RlpxTransport {
  const backend = options.backend ?? defaultBackend;
  if (!backend.isValidPrivateKey(options.privateKey))
    throw new TypeError('privateKey must be a valid secp256k1 private key');
  const publicKey = backend.publicKeyCreate(options.privateKey);
  const peerId = peerIdFromPublicKey(publicKey);
  const clock = options.clock ?? systemClock;
  const limits = resolveLimits({
    handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
    idleTimeoutMs: READ_TIMEOUT_MS,
    ...options.limits,
  });
  const capability = options.capability ?? SHH_CAPABILITY;
  const clientName = options.clientName ?? DEFAULT_CLIENT_NAME;
  const metrics: RlpxSessionMetrics = {
    refused: (options.metrics ?? noMetrics).counter({
      name: 'hush_rlpx_refused_total',
      help: 'RLPx connections refused or ended for a fault of the peer, by reason',
      labelNames: ['reason'],
    }),
  };
  const host = options.host ?? '127.0.0.1';
  const open = new Set<RlpxConnection>();
  let server: Server | undefined;
  let port: number | undefined;
  let closed = false;
  let pending = 0;
  const dialing = new Set<Socket>();
  let listening = false;

  const session = (socket: Socket, outbound: boolean, remotePublicKey?: Uint8Array) => {
    socket.setNoDelay(true);
    const connection = new RlpxConnection({
      socket,
      outbound,
      staticKey: options.privateKey,
      ...(remotePublicKey ? { remotePublicKey } : {}),
      capability,
      clientName,
      listenPort: port ?? 0,
      limits,
      clock,
      backend,
      metrics,
      ...(options.randomness ? { randomness: options.randomness } : {}),
    });
    open.add(connection);
    connection.onClose(() => open.delete(connection));
    return connection;
  };

  return {
    peerId,
    publicKey,
    get port() {
      return port;
    },
    get addresses() {
      if (port === undefined) return [];
      const wildcard = host === '0.0.0.0' || host === '::';
      const announced = options.announceHost ?? (wildcard ? '127.0.0.1' : host);
      return [formatEnode({ publicKey, host: announced, port })];
    },
    async listen(onConnection: (connection: Connection) => void) {
      if (closed) throw new TransportError('listen-failed', 'transport is closed');
      if (server || listening) throw new TransportError('listen-failed', 'already listening');
      listening = true;
      const tcp = createServer((socket) => {
        if (closed || pending >= MAX_PENDING_HANDSHAKES) {
          socket.destroy();
          return;
        }
        socket.on('error', () => {});
        pending++;
        const connection = session(socket, false);
        connection.opened
          .finally(() => pending--)
          .then((opened) => {
            if (closed) return opened.close('local', 'transport closed');
            try {
              onConnection(opened);
            } catch {
              // The listener's failure is this connection's end, not the transport's.
              opened.close('error', 'the connection handler failed');
            }
          })
          // A refused handshake is counted and closed; there is no one else to tell.
          .catch(() => undefined);
      });
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', (error) =>
          reject(new TransportError('listen-failed', `rlpx: ${error.message}`, { cause: error })),
        );
        tcp.listen(options.port ?? 30303, host, () => resolve());
      });
      tcp.on('error', () => {});
      if (closed) {
        // close() ran while the port was being bound: let go of it.
        await new Promise<void>((resolve) => tcp.close(() => resolve()));
        throw new TransportError('listen-failed', 'transport closed while listening');
      }
      server = tcp;
      const address = tcp.address();
      port = typeof address === 'object' && address ? address.port : undefined;
    },
    async dial(address: string, dialOptions: DialOptions = {}) {
      if (closed) throw new TransportError('closed', 'transport is closed');
      let enode: ReturnType<typeof parseEnode>;
      try {
        enode = parseEnode(address);
      } catch (error) {
        throw new TransportError('dial-failed', (error as Error).message, { cause: error });
      }
      if (dialOptions.remotePeer && dialOptions.remotePeer !== peerIdFromPublicKey(enode.publicKey))
        throw new TransportError('dial-failed', `${address} names another peer than the one meant`);
      dialOptions.signal?.throwIfAborted();
      const socket = await new Promise<Socket>((resolve, reject) => {
        const s = tcpConnect({ host: enode.host, port: enode.port });
        dialing.add(s);
        const done = () => {
          clock.clearTimeout(timer);
          dialing.delete(s);
          dialOptions.signal?.removeEventListener('abort', abort);
          s.off('close', closedEarly);
        };
        const fail = (why: string, cause?: unknown) => {
          done();
          s.destroy();
          reject(
            closed
              ? new TransportError('closed', 'transport is closed')
              : new TransportError('dial-failed', `${address}: ${why}`, { cause }),
          );
        };
        // An abort rejects with the signal's reason (an AbortError), as every Hush dial does.
        const abort = () => {
          done();
          s.destroy();
          reject(dialOptions.signal?.reason);
        };
        // geth's dial timeout: a host that never answers must not hold the dial for minutes.
        const timer = clock.setTimeout(() => fail('no TCP connection in 15 s'), DIAL_TIMEOUT_MS);
        dialOptions.signal?.addEventListener('abort', abort, { once: true });
        if (dialOptions.signal?.aborted) abort();
        s.once('connect', () => {
          done();
          if (closed) {
            s.destroy();
            reject(new TransportError('closed', 'transport is closed'));
          } else resolve(s);
        });
        s.once('error', (error) => fail(error.message, error));
        const closedEarly = () => fail('closed');
        s.once('close', closedEarly);
      });
      socket.on('error', () => {});
      const connection = session(socket, true, enode.publicKey);
      // An abort, or close(), during the handshake closes the connection, and with it the socket
      // (RlpxConnection.close destroys it, or ends it after a disconnect); the dial then rejects
      // with the signal's reason, or as closed, not as a failed handshake.
      const abort = () => connection.close('local', 'dial aborted');
      dialOptions.signal?.addEventListener('abort', abort, { once: true });
      const given = (cause?: unknown): unknown => {
        if (dialOptions.signal?.aborted) return dialOptions.signal.reason;
        if (closed) return new TransportError('closed', 'transport is closed', { cause });
        return undefined;
      };
      try {
        await connection.opened;
      } catch (error) {
        throw (
          given(error) ??
          new TransportError('handshake-failed', `${address}: ${(error as Error).message}`, {
            cause: error,
          })
        );
      } finally {
        dialOptions.signal?.removeEventListener('abort', abort);
      }
      // Opened as the abort or close() came: that connection is closed already.
      const late = given();
      if (late !== undefined) {
        connection.close('local', closed ? 'transport closed' : 'dial aborted');
        throw late;
      }
      return connection;
    },
    async close() {
      closed = true;
      for (const socket of [...dialing]) socket.destroy();
      for (const connection of [...open]) connection.close('local', 'transport closed');
      const bound = server;
      server = undefined;
      if (bound) await new Promise<void>((resolve) => bound.close(() => resolve()));
    },
  };
}
