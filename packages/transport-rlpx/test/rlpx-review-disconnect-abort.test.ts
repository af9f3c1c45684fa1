/**
 * From review: the disconnect reasons the gossip engine's refusals and breaches go out with
 * (SPEC §5.4, as geth v1.8.27 sends them), a dial aborted or closed during its handshake
 * (rejected with the signal's reason / as closed, its socket gone), and the hello's default
 * client name (the package's own version, geth's shape).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultBackend, randomBytes } from '@hush/crypto';
import { TransportError } from '@hush/interface';
import { waitFor } from '@hush/interface-compliance';
import { createGossipNode, type GossipNode } from '@hush/transport-gossip';
import { afterEach, describe, expect, it } from 'vitest';
import { DisconnectReason, formatEnode, rlpxTransport } from '../src/index.js';
import { disconnectReasonFor } from '../src/session.js';
import { DEFAULT_CLIENT_NAME, packageVersion } from '../src/transport.js';
import { RawPeer } from './raw-peer.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const SHH = [{ name: 'shh', version: 6 }];

async function gossipNode(options: { maxPeers?: number } = {}) {
  const key = randomBytes(32);
  const transport = rlpxTransport({ privateKey: key, port: 0 });
  const node = createGossipNode({ key, transport, minPow: 0, ...options });
  await node.start();
  cleanups.push(() => node.stop());
  return { node, publicKey: transport.publicKey, port: transport.port! };
}

/** A raw peer with `key` through the hellos with `node`; closed after the test. */
async function hello(target: { port: number; publicKey: Uint8Array }, key = randomBytes(32)) {
  const raw = await RawPeer.connect(target.port);
  cleanups.push(() => raw.close());
  await raw.handshake(key, target.publicKey);
  raw.sendHello(key, SHH);
  await raw.receiveHello();
  return { raw, key };
}

async function connected(node: GossipNode, key: Uint8Array) {
  const id = Buffer.from(defaultBackend.publicKeyCreate(key)).toString('hex');
  await waitFor(() => node.hasPeer(id), 'node.hasPeer(id)');
  return id;
}

describe('the engine’s closes go out with geth’s disconnect reasons (§5.4)', () => {
  it('a peer past maxPeers reads 0x04 too many peers', async () => {
    const target = await gossipNode({ maxPeers: 1 });
    const first = await hello(target);
    await connected(target.node, first.key);
    const second = await hello(target);
    expect(await second.raw.disconnectReason()).toBe(DisconnectReason.tooManyPeers);
  });

  it('a second connection with the same key reads 0x05 already connected', async () => {
    const target = await gossipNode();
    const first = await hello(target);
    await connected(target.node, first.key);
    const again = await hello(target, first.key);
    expect(await again.raw.disconnectReason()).toBe(DisconnectReason.alreadyConnected);
  });

  it('a Whisper breach (messages before status) reads 0x10 subprotocol error', async () => {
    const target = await gossipNode();
    const { raw, key } = await hello(target);
    await connected(target.node, key);
    // shh's messages code (1) at offset 16, before any status: whisperv6's handshake error.
    raw.send(16 + 1, Uint8Array.of(0xc0));
    expect(await raw.disconnectReason()).toBe(DisconnectReason.subprotocolError);
  });

  it('a transport that closes tells its peers 0x08 client quitting, as geth’s Server.Stop', async () => {
    const privateKey = randomBytes(32);
    const t = rlpxTransport({ privateKey, port: 0 });
    cleanups.push(() => t.close());
    const accepted: unknown[] = [];
    await t.listen((c) => accepted.push(c));
    const { raw } = await hello({ port: t.port!, publicKey: t.publicKey });
    await waitFor(() => accepted.length === 1, 'accepted.length === 1');
    await t.close();
    expect(await raw.disconnectReason()).toBe(DisconnectReason.quitting);
  });

  it('a gossip node that stops tells its RLPx peers 0x08 client quitting', async () => {
    const target = await gossipNode();
    const { raw, key } = await hello(target);
    await connected(target.node, key);
    await target.node.stop();
    expect(await raw.disconnectReason()).toBe(DisconnectReason.quitting);
  });

  it('a peer removed by the operator reads 0x00 requested, as geth’s RemovePeer', async () => {
    const target = await gossipNode();
    const { raw, key } = await hello(target);
    const id = await connected(target.node, key);
    expect(target.node.disconnect(id)).toBe(true);
    expect(await raw.disconnectReason()).toBe(DisconnectReason.requested);
  });

  it('the mapping: the engine’s words, Hush’s limits, and closes geth sends nothing for', () => {
    expect(disconnectReasonFor('local', 'too many peers')).toBe(DisconnectReason.tooManyPeers);
    expect(disconnectReasonFor('local', 'no inbound slot')).toBe(DisconnectReason.tooManyPeers);
    expect(disconnectReasonFor('local', 'idle: replaced by a new peer')).toBe(
      DisconnectReason.tooManyPeers,
    );
    expect(disconnectReasonFor('local', 'already connected')).toBe(
      DisconnectReason.alreadyConnected,
    );
    expect(disconnectReasonFor('local', 'transport closed')).toBe(DisconnectReason.quitting);
    expect(disconnectReasonFor('local', 'node stopped')).toBe(DisconnectReason.quitting);
    expect(disconnectReasonFor('local', 'banned')).toBe(DisconnectReason.requested);
    expect(disconnectReasonFor('local')).toBe(DisconnectReason.requested);
    expect(disconnectReasonFor('error', 'status-expected')).toBe(DisconnectReason.subprotocolError);
    // The same limit says the same, whether the session or the engine finds it.
    expect(disconnectReasonFor('rate-limit')).toBe(DisconnectReason.protocolError);
    expect(disconnectReasonFor('frame-too-large')).toBe(DisconnectReason.protocolError);
    expect(disconnectReasonFor('bad-frame', 'x', 'rate-limit')).toBe(
      DisconnectReason.protocolError,
    );
    expect(disconnectReasonFor('bad-frame', 'x', 'bad-mac')).toBeUndefined();
    for (const reason of ['idle-timeout', 'handshake-timeout', 'slow-consumer', 'remote'] as const)
      expect(disconnectReasonFor(reason)).toBeUndefined();
  });
});

/**
 * A TCP server of the test's own: its accepted sockets, in order, each given to `onSocket`
 * or else left flowing unread (so that the dialer's end is seen as a 'close').
 */
async function tcpServer(onSocket?: (socket: Socket) => void) {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    socket.on('error', () => {});
    sockets.push(socket);
    if (onSocket) onSocket(socket);
    else socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const port = (server.address() as { port: number }).port;
  return { sockets, port };
}

function enodeOf(privateKey: Uint8Array, port: number): string {
  return formatEnode({
    publicKey: defaultBackend.publicKeyCreate(privateKey),
    host: '127.0.0.1',
    port,
  });
}

function closedSocket(socket: Socket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

function dialer() {
  const t = rlpxTransport({ privateKey: randomBytes(32), port: 0 });
  cleanups.push(() => t.close());
  return t;
}

function isAbort(error: unknown, signal: AbortSignal): boolean {
  return error === signal.reason && (error as Error).name === 'AbortError';
}

describe('a dial aborted or closed during its handshake', () => {
  it('aborted while waiting for the ack: rejects with the signal’s reason, the socket closed', async () => {
    const server = await tcpServer();
    const remoteKey = randomBytes(32);
    const enode = enodeOf(remoteKey, server.port);
    const controller = new AbortController();
    const dialing = dialer().dial(enode, { signal: controller.signal });
    dialing.catch(() => {});
    await waitFor(() => server.sockets.length === 1, 'server.sockets.length === 1');
    controller.abort();
    const error = await dialing.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAbort(error, controller.signal)).toBe(true);
    await closedSocket(server.sockets[0]!);
  });

  it('aborted between the hellos: rejects with the signal’s reason, a disconnect sent, the socket closed', async () => {
    const remoteKey = randomBytes(32);
    const peers: RawPeer[] = [];
    const server = await tcpServer((socket) => peers.push(RawPeer.wrap(socket)));
    const enode = enodeOf(remoteKey, server.port);
    const controller = new AbortController();
    const dialing = dialer().dial(enode, { signal: controller.signal });
    dialing.catch(() => {});
    await waitFor(() => peers.length === 1, 'peers.length === 1');
    const peer = peers[0]!;
    await peer.answerHandshake(remoteKey);
    // The dialer's hello is in: it waits for ours, which never comes.
    await peer.receiveHello();
    // Ours was never sent, so the dialer has not turned snappy on.
    peer.snappy = false;
    controller.abort();
    const error = await dialing.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAbort(error, controller.signal)).toBe(true);
    expect(await peer.disconnectReason()).toBe(DisconnectReason.requested);
    await peer.closedByPeer();
  });

  it('aborted while TCP connects: rejects with the signal’s reason', async () => {
    const server = await tcpServer();
    const enode = enodeOf(randomBytes(32), server.port);
    const controller = new AbortController();
    const dialing = dialer().dial(enode, { signal: controller.signal });
    dialing.catch(() => {});
    // dial() has opened its socket synchronously; the connect event has not come yet.
    controller.abort();
    const error = await dialing.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAbort(error, controller.signal)).toBe(true);
  });

  it('a custom abort reason is the rejection', async () => {
    const server = await tcpServer();
    const enode = enodeOf(randomBytes(32), server.port);
    const controller = new AbortController();
    const dialing = dialer().dial(enode, { signal: controller.signal });
    dialing.catch(() => {});
    await waitFor(() => server.sockets.length === 1, 'server.sockets.length === 1');
    const reason = new Error('gave up');
    controller.abort(reason);
    await expect(dialing).rejects.toBe(reason);
    await closedSocket(server.sockets[0]!);
  });

  it('the transport closed while waiting for the ack: rejects as closed, the socket closed', async () => {
    const server = await tcpServer();
    const enode = enodeOf(randomBytes(32), server.port);
    const t = dialer();
    const dialing = t.dial(enode);
    dialing.catch(() => {});
    await waitFor(() => server.sockets.length === 1, 'server.sockets.length === 1');
    await t.close();
    const error = await dialing.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('closed');
    await closedSocket(server.sockets[0]!);
  });
});

describe('the hello’s client name', () => {
  const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

  it('is Hush/v<package version>/<platform>-<arch>/node<version> by default', async () => {
    const key = randomBytes(32);
    const t = rlpxTransport({ privateKey: key, port: 0 });
    cleanups.push(() => t.close());
    await t.listen(() => {});
    const raw = await RawPeer.connect(t.port!);
    cleanups.push(() => raw.close());
    await raw.handshake(randomBytes(32), t.publicKey);
    const { name } = await raw.receiveHello();
    expect(name).toBe(
      `Hush/v${version}/${process.platform}-${process.arch}/node${process.versions.node}`,
    );
    expect(name).toMatch(/^Hush\/v\d+\.\d+\.\d+[^/]*\/[a-z0-9]+-[a-z0-9]+\/node\d+\.\d+\.\d+$/);
    expect(name).toBe(DEFAULT_CLIENT_NAME);
  });

  it('clientName overrides it', async () => {
    const t = rlpxTransport({ privateKey: randomBytes(32), port: 0, clientName: 'custom/v9' });
    cleanups.push(() => t.close());
    await t.listen(() => {});
    const raw = await RawPeer.connect(t.port!);
    cleanups.push(() => raw.close());
    await raw.handshake(randomBytes(32), t.publicKey);
    expect((await raw.receiveHello()).name).toBe('custom/v9');
  });

  it('the version is read from the package.json beside the module’s folder (src/ or dist/), else unknown', () => {
    const root = mkdtempSync(join(tmpdir(), 'hush-rlpx-version-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    mkdirSync(join(root, 'dist'));
    writeFileSync(join(root, 'package.json'), JSON.stringify({ version: '9.8.7-test' }));
    expect(packageVersion(pathToFileURL(join(root, 'dist', 'transport.js')).href)).toBe(
      '9.8.7-test',
    );
    const bare = mkdtempSync(join(tmpdir(), 'hush-rlpx-noversion-'));
    cleanups.push(() => rmSync(bare, { recursive: true, force: true }));
    mkdirSync(join(bare, 'dist'));
    expect(packageVersion(pathToFileURL(join(bare, 'dist', 'transport.js')).href)).toBe('unknown');
    expect(packageVersion()).toBe(version);
  });
});
