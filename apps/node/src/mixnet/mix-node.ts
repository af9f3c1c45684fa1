/**
 * A mix or gateway process (`hush mix`, specs/mixnet-sphinx/SPEC.md §9, §11): its identity,
 * link key, epoch keys, replay cache and (a gateway) client queues all in its LevelDB store;
 * a `MixServer` on a WebSocket port; its descriptor uploaded to every authority for this
 * epoch and the next two; the documents of the epochs around now fetched and verified (the
 * threshold of the network's authorities); at each epoch's start the next key in use, the
 * previous one kept for the grace window, keys and replay tags of older epochs deleted. The
 * network configuration says whether this identity is a mix (and of which layer) or a gateway.
 * With `workers`, packets are unwrapped on that many worker threads (the unwrap is most of a
 * packet's work), the rest stays on the main thread. It sends its own loops at the λM of the
 * document in force (§13.4): `hush_mix_loops_lost_total` says when a node on their way drops.
 */
import { webSocketCarrier } from '@hush/carrier-websocket';
import { defaultBackend, secp256k1Identity, secp256k1Verifier } from '@hush/crypto';
import type { Clock, Logger, Metrics, Store } from '@hush/interface';
import { silentLogger, systemClock } from '@hush/interface';
import {
  type DirectoryDocument,
  EpochKeys,
  epochAt,
  epochStart,
  fetchDirectory,
  GatewayQueues,
  geometry,
  MIX_LINK_LIMITS,
  type MixDescriptor,
  MixServer,
  mixNodeId,
  type NetworkConfig,
  ReplayCache,
  readCappedText,
  signMixDescriptor,
} from '@hush/mixnet-sphinx';
import { createUnwrapPool, type UnwrapPool } from '@hush/mixnet-sphinx/unwrap-pool';
import { loadStaticKey } from '@hush/noise';
import { x25519 } from '@noble/curves/ed25519.js';
import { loadNodeKey } from '../node.js';
import { coalescingTicker } from './ticker.js';

/** How a mix process runs. */
export interface MixNodeOptions {
  readonly network: NetworkConfig;
  readonly store: Store;
  readonly host: string;
  readonly port: number;
  /** Endpoints to publish instead of the listening address (behind NAT, a proxy). */
  readonly announce?: readonly string[];
  /** How often documents and uploads are retried (default epochMs / 20, at most 2 s). */
  readonly tickMs?: number;
  /** Worker threads that unwrap packets (default 0: in the main thread). */
  readonly workers?: number;
  readonly clock?: Clock;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
}

/** A running mix or gateway. */
export interface MixNode {
  readonly id: string;
  /** 64-byte identity, hex: what the network configuration lists. */
  readonly identity: string;
  readonly role: 'mix' | 'gateway';
  /** The mix's layer (0 first), for a mix. */
  readonly layer?: number;
  readonly endpoints: readonly string[];
  readonly server: MixServer;
  /** Whether it holds this epoch's document (it can route). */
  ready(): boolean;
  stop(): Promise<void>;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/**
 * The mix identity kept in the store (the node key of `hush keygen`), as the network
 * configuration lists it: 64 bytes of hex.
 *
 * @throws what the store throws
 */
export async function mixIdentity(store: Store): Promise<string> {
  const key = await loadNodeKey(store);
  return hex(defaultBackend.publicKeyCreate(key).subarray(1));
}

/**
 * Starts a mix or gateway.
 *
 * @throws Error when this identity is not a node of the network, or a worker fails to start;
 *   RangeError when `workers` is not an integer in [0, 256]; TransportError when the port
 *   cannot be bound; what the store throws
 */
export async function startMixNode(options: MixNodeOptions): Promise<MixNode> {
  const { network, store } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const identity = secp256k1Identity(await loadNodeKey(store));
  const identityHex = hex(identity.publicKey.subarray(1));
  const layer = network.layers.findIndex((l) => l.some((x) => hex(x) === identityHex));
  const isGateway = network.gateways.some((x) => hex(x) === identityHex);
  if (layer < 0 && !isGateway)
    throw new Error(`this identity (${identityHex}) is not a mix or gateway of the network`);
  const role = isGateway ? 'gateway' : 'mix';
  const geo = geometry(network.sphinx.hops, network.sphinx.userPayloadLength);
  const keys = new EpochKeys(store);
  const tickMs = options.tickMs ?? Math.min(2000, network.epochMs / 20);
  let epoch = epochAt(clock.now(), network.epochMs);
  const documents = new Map<number, DirectoryDocument>();
  const known = () => {
    const byId = new Map<string, MixDescriptor>();
    const firstLayer = new Set<string>();
    for (const doc of documents.values()) {
      for (const d of [...doc.layers.flat(), ...doc.gateways]) byId.set(hex(d.id), d);
      for (const d of doc.layers[0] ?? []) firstLayer.add(hex(d.id));
    }
    return { byId, firstLayer };
  };
  let routes = known();
  const workers = options.workers ?? 0;
  if (!Number.isInteger(workers) || workers < 0 || workers > 256)
    throw new RangeError('workers must be an integer in [0, 256]');
  const staticKey = await loadStaticKey(store, 'mix/link-key', 'mix-link');
  const graceMs = Math.min(600_000, network.epochMs / 4);
  // A mix restarted within the grace of an epoch change takes up the previous epoch's key
  // again, then moves to this epoch's: the packets made for the key it published still unwrap.
  const sinceStart = clock.now() - epochStart(epoch, network.epochMs);
  const previous = sinceStart < graceMs && epoch > 0 ? await keys.held(epoch - 1) : undefined;
  const key = await keys.key(epoch);
  const queues = isGateway ? new GatewayQueues(store) : undefined;
  const replay = new ReplayCache(store);
  // After a downtime: the keys and replay tags of epochs no key in use can unwrap are deleted
  // now, not a rotation later.
  await keys.prune(previous ? epoch - 1 : epoch);
  await replay.flushBefore(previous ? epoch - 1 : epoch);
  /** Whether an identity is a node of the documents in force (a mix takes links only from them). */
  const isNode = (identity: Uint8Array) => routes.byId.has(hex(mixNodeId(identity)));
  // Started last before the server: nothing that can fail before it is left holding threads.
  const pool: UnwrapPool | undefined =
    workers > 0 ? await createUnwrapPool({ geometry: geo, workers, logger }) : undefined;
  const server = new MixServer({
    role,
    geometry: geo,
    identity,
    verifier: secp256k1Verifier(),
    staticKey,
    carrier: webSocketCarrier({ host: options.host, port: options.port, limits: MIX_LINK_LIMITS }),
    replay,
    key: previous ?? key,
    lookup: (id) => routes.byId.get(hex(id)),
    isFirstLayer: (id) => routes.firstLayer.has(hex(id)),
    ...(queues ? { queues } : { authorize: isNode }),
    // The previous key unwraps for a quarter epoch: packets made just before the change.
    graceMs,
    ...(pool ? { unwrapper: pool } : {}),
    // Its loops take routes of this epoch's document, made for the keys in use now.
    directory: () => documents.get(epochAt(clock.now(), network.epochMs)),
    clock,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    logger,
  });
  if (previous) await server.rotate(key, epochStart(epoch, network.epochMs) + graceMs);
  try {
    await server.start();
  } catch (error) {
    // Its port refused: the threads go too.
    await pool?.stop();
    throw error;
  }
  const endpoints = options.announce?.length ? [...options.announce] : [...server.addresses];

  /** Uploads accepted, by `<epoch> <authority url>`. */
  const uploaded = new Set<string>();
  /**
   * Each epoch's upload, signed once: a retry sends the same bytes (a newer `issuedAt` would
   * change the authorities' view of an unchanged mix until they sign).
   */
  const signedUploads = new Map<number, ReturnType<typeof signMixDescriptor>>();
  const upload = async (e: number) => {
    let signed = signedUploads.get(e);
    if (!signed) {
      const key = await keys.key(e);
      signed = signMixDescriptor(
        identity,
        e,
        { publicKey: x25519.getPublicKey(key.privateKey), endpoints },
        Math.floor(clock.now()),
      );
      signedUploads.set(e, signed);
    }
    await Promise.allSettled(
      network.authorities.map(async (authority) => {
        const mark = `${e} ${authority.url}`;
        if (uploaded.has(mark)) return;
        try {
          const response = await fetch(`${authority.url}/v1/descriptors`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(signed),
            signal: AbortSignal.timeout(5000),
          });
          const answer = await readCappedText(response, 4096);
          if (response.ok) uploaded.add(mark);
          else
            logger.warn(
              { epoch: e, authority: authority.url, status: response.status, answer },
              'mix: descriptor refused',
            );
        } catch (error) {
          logger.debug(
            { epoch: e, authority: authority.url, reason: String(error) },
            'mix: upload',
          );
        }
      }),
    );
  };

  /** Moves to the key of the epoch now, on its own: never behind a slow authority. */
  let rotating: Promise<void> = Promise.resolve();
  const rotate = () => {
    rotating = rotating
      .then(async () => {
        const now = epochAt(clock.now(), network.epochMs);
        if (now <= epoch) return;
        epoch = now;
        // The previous key's grace counts from the epoch's start, however late this runs.
        await server.rotate(await keys.key(now), epochStart(now, network.epochMs) + graceMs);
        logger.info({ epoch: now }, 'mix: new epoch key');
        // Keys of epochs before the previous one are gone: what was made for them is unreadable.
        await keys.prune(now - 1);
        if (queues) await queues.sweep();
      })
      .catch((error) => logger.warn({ reason: String(error) }, 'mix: key rotation'));
    return rotating;
  };

  const ticker = coalescingTicker(
    async () => {
      await rotate();
      const now = epochAt(clock.now(), network.epochMs);
      const wanted = [now, now + 1].filter((e) => !documents.has(e));
      // The previous epoch's document routes what was made under it, during the grace window.
      if (!documents.has(now - 1) && clock.now() < epochStart(now, network.epochMs) + graceMs)
        wanted.push(now - 1);
      await Promise.allSettled([
        ...[now, now + 1, now + 2].map((e) => upload(e)),
        ...wanted.map(async (e) => {
          try {
            const { document } = await fetchDirectory(network, e, {
              // A past epoch's document is checked as at its start: it is over, not forged.
              now: e < now ? epochStart(e, network.epochMs) : clock.now(),
              ...(options.metrics ? { metrics: options.metrics } : {}),
            });
            documents.set(e, document);
            logger.info({ epoch: e, mixes: document.layers.flat().length }, 'mix: directory');
          } catch (error) {
            logger.debug({ epoch: e, reason: String(error) }, 'mix: directory not yet');
          }
        }),
      ]);
      for (const e of [...documents.keys()]) if (e < now - 1) documents.delete(e);
      routes = known();
      for (const mark of [...uploaded]) if (Number(mark.split(' ')[0]) < now) uploaded.delete(mark);
      for (const e of [...signedUploads.keys()]) if (e < now) signedUploads.delete(e);
    },
    tickMs,
    clock,
    (error) => logger.warn({ reason: String(error) }, 'mix: epoch loop'),
  );
  // The next epoch's key is taken on time, not up to a tick late.
  let boundary = clock.setTimeout(
    function next() {
      void rotate();
      ticker.tick();
      boundary = clock.setTimeout(
        next,
        epochStart(epochAt(clock.now(), network.epochMs) + 1, network.epochMs) - clock.now() + 1,
      );
    },
    epochStart(epoch + 1, network.epochMs) - clock.now() + 1,
  );
  ticker.tick();
  return {
    id: hex(mixNodeId(identity.publicKey.subarray(1))),
    identity: identityHex,
    role,
    ...(layer >= 0 ? { layer } : {}),
    endpoints,
    server,
    ready: () => documents.has(epochAt(clock.now(), network.epochMs)),
    async stop() {
      clock.clearTimeout(boundary);
      await ticker.stop();
      await rotating;
      await server.stop();
      // After the server: the mix has stopped taking packets.
      await pool?.stop();
    },
  };
}
