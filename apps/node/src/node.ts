/**
 * The Hush reference node: a gossip node on WebSocket, the key store, message filters and the
 * shh_* JSON-RPC, assembled from the Hush packages.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type DeliveredEnvelope, HushClient } from '@hush/client';
import { type CryptoBackend, defaultBackend, randomBytes } from '@hush/crypto';
import { type Envelope, encodeEnvelope } from '@hush/envelope';
import { type EnvelopeReceiver, type Logger, type PeerId, silentLogger } from '@hush/interface';
import { Archive, decodeRequestComplete, mailserverHandler } from '@hush/mailserver';
import { type KeyStore, MemoryKeyStore, symKeyFromPassword } from '@hush/message';
import {
  DirectoryError,
  type NetworkConfig,
  parseMixnetAddress,
  parseNetworkConfig,
} from '@hush/mixnet-sphinx';
import { createPowWorkerPool, type PowScanPool } from '@hush/pow';
import { createGossipNode, type GossipNode, webSocketTransport } from '@hush/transport-gossip';
import { type DiscoveryV4, discoveryV4, rlpxTransport } from '@hush/transport-rlpx';
import { ConfigError, dataDirPath, type NodeConfig } from './config.js';
import { NodeContacts } from './contacts.js';
import { NodeDht } from './dht.js';
import { NodeDirect } from './direct.js';
import { type DiscoveryDialer, startDiscoveryDialer } from './discovery.js';
import { NodeMetrics, startMetricsServer } from './metrics.js';
import { WhisperMixnet } from './mixnet/whisper-mixnet.js';
import { PeerBook } from './peers.js';
import { hushMethods } from './rpc/hush.js';
import { inboxMethods } from './rpc/inbox.js';
import { JsonRpcDispatcher, type Method } from './rpc/jsonrpc.js';
import { mixnetMethods } from './rpc/mixnet.js';
import { CLIENT_VERSION, nodeApiMethods, type RpcModule } from './rpc/node-api.js';
import { PasswordKeyDeriver } from './rpc/password-keys.js';
import { SealLimits } from './rpc/seal-limits.js';
import { type RpcServers, startRpcServers } from './rpc/server.js';
import { directPost, inboxPost, type ShhServices, shhMethods } from './rpc/shh.js';
import { shhextMethods } from './rpc/shhext.js';
import { PersistentKeyStore } from './store/key-store.js';
import { isPostgresUrl, PostgresStore, redactUrl } from './store/postgres-store.js';
import { LevelStore, type Store } from './store/store.js';
import { combinedTransport } from './transports.js';
import { startWebServer, type WebServer, webConnectInfo } from './web.js';

/**
 * Opens the node's LevelDB store in `dataDir/db`.
 *
 * @throws if another process holds the database (a running node), or it is damaged
 */
export async function openStore(dataDir: string): Promise<Store> {
  const dir = dataDirPath(dataDir);
  await mkdir(dir, { recursive: true });
  return LevelStore.open(join(dir, 'db'));
}

/**
 * The store a mailserver keeps its archive in: the node's own `store` (LevelDB, the default),
 * or a PostgreSQL table `hush_archive` with `--archive postgres://…`. An unreachable
 * PostgreSQL fails the start at once (no retry: a supervisor restarts the node); connections
 * lost later are logged and replaced on the next archive operation.
 *
 * @throws StoreError 'unavailable' if PostgreSQL cannot be reached, 'failed' if it refuses
 *   the login or the archive table cannot be created, 'invalid-url' for a malformed URL
 */
export async function openArchiveStore(
  config: Pick<NodeConfig, 'archive'>,
  store: Store,
  logger: Logger = silentLogger,
): Promise<Store> {
  if (!isPostgresUrl(config.archive)) return store;
  const archive = await PostgresStore.open(config.archive, {
    table: 'hush_archive',
    onConnectionError: (error) => logger.warn({ reason: error.message }, 'archive database'),
  });
  logger.info({ archive: redactUrl(config.archive) }, 'mailserver archive in PostgreSQL');
  return archive;
}

/**
 * The node key kept in the store, created on first use.
 *
 * @throws if the stored key is not a valid key
 */
export async function loadNodeKey(
  store: Store,
  backend: CryptoBackend = defaultBackend,
): Promise<Uint8Array> {
  const stored = await store.get('node/key');
  if (stored) {
    if (!backend.isValidPrivateKey(stored))
      throw new Error('the stored node key is not a valid key');
    return stored;
  }
  let key = randomBytes(32);
  while (!backend.isValidPrivateKey(key)) key = randomBytes(32);
  await store.put('node/key', key);
  return key;
}

/**
 * The gossip node as the client's envelope receiver, with the PoW its engine already
 * computed (so filters need not compute it again): local posts, gossip from peers, and p2p
 * envelopes (direct, mailserver history, or anything a light client hears) as such.
 */
function gossipEnvelopes(gossip: GossipNode): EnvelopeReceiver<Envelope> {
  return {
    onEnvelope: (handler) =>
      gossip.engine.on('envelope', (accepted) => {
        const received: DeliveredEnvelope = {
          envelope: accepted.envelope,
          hash: accepted.hash,
          pow: accepted.pow,
          source: accepted.from === undefined ? 'local' : accepted.p2p ? 'p2p' : 'gossip',
          // Node ids are the 65-byte key in hex; a peer id drops its 04 prefix.
          ...(accepted.from === undefined ? {} : { peer: accepted.from.slice(2) as PeerId }),
        };
        handler(received);
      }),
  };
}

/**
 * Seals one RPC client may have running at once: enough for a client that posts while its
 * last post seals, too few for one client to hold every PoW worker.
 */
export const SEALS_PER_CLIENT = 2;

/** Times every RPC method into the latency histogram. */
function instrument(methods: Record<string, Method>, metrics: NodeMetrics): Record<string, Method> {
  const timed: Record<string, Method> = {};
  for (const [name, method] of Object.entries(methods)) {
    timed[name] = async (params, context) => {
      const stop = metrics.rpcLatency.startTimer({ method: name });
      try {
        const result = await method(params, context);
        stop({ outcome: 'ok' });
        return result;
      } catch (error) {
        stop({ outcome: 'error' });
        throw error;
      }
    };
  }
  return timed;
}

/**
 * The mixnet's network file of --mixnet.
 *
 * @throws ConfigError when it cannot be read, is not JSON or is not a network configuration
 */
function readNetworkFile(file: string): NetworkConfig {
  try {
    return parseNetworkConfig(JSON.parse(readFileSync(file, 'utf8')));
  } catch (error) {
    throw new ConfigError(`mixnet: ${file}: ${(error as Error).message}`);
  }
}

/** A running node. */
export interface HushNode {
  readonly gossip: GossipNode;
  readonly rpc: RpcServers;
  readonly store: Store;
  /** The store of the mailserver archive (`store`, or PostgreSQL with --archive), if a mailserver. */
  readonly archiveStore: Store | undefined;
  readonly metrics: NodeMetrics;
  /** The contacts of direct channels, kept in `store` (`hush_*Contact`, `hush contacts`). */
  readonly contacts: NodeContacts;
  /** The direct channels with contacts, unless --no-direct. */
  readonly direct: NodeDirect | undefined;
  /** Discovery v4 on UDP, with --discovery. */
  readonly discovery: DiscoveryV4 | undefined;
  /** The DHT inbox, unless --no-dht. */
  readonly dht: NodeDht | undefined;
  /** Whisper over the mixnet, with --mixnet. */
  readonly mixnet: WhisperMixnet | undefined;
  /** The metrics and health server's URL, when enabled. */
  readonly metricsUrl: string | undefined;
  /** The browser app's address (`http://host:port/`), unless --web-port is -1. */
  readonly webUrl: string | undefined;
  /** The browser app's server, unless --web-port is -1 (`web.built`: whether the app is built). */
  readonly web: WebServer | undefined;
  /** This node's id (65-byte public key, hex). */
  readonly id: string;
  stop(): Promise<void>;
}

/**
 * Starts a node.
 *
 * @throws ConfigError-like errors for unusable settings, the bind error of a taken port, or a
 *   StoreError if the PostgreSQL archive (--archive) cannot be opened
 */
export async function startNode(
  config: NodeConfig,
  logger: Logger = silentLogger,
): Promise<HushNode> {
  const backend = defaultBackend;
  const store = await openStore(config.dataDir);
  let archiveStore: Store | undefined;
  try {
    if (config.mailserver) archiveStore = await openArchiveStore(config, store, logger);
    return await assemble(config, logger, store, archiveStore, backend);
  } catch (error) {
    if (archiveStore && archiveStore !== store) await archiveStore.close();
    await store.close();
    throw error;
  }
}

/**
 * The node's key store: kept encrypted in the store with --persist-keys, in memory otherwise.
 *
 * @throws ConfigError if the store holds encrypted keys and no passphrase was given
 * @throws KeyStoreError 'wrong-passphrase' if the passphrase does not open them
 */
async function openKeyStore(config: NodeConfig, store: Store): Promise<KeyStore> {
  if (config.persistKeys && config.keyPassphrase)
    return PersistentKeyStore.open(store, config.keyPassphrase);
  if (await PersistentKeyStore.present(store)) {
    // Starting with an empty key store over kept keys would hide them without a word:
    // refuse, and say what to pass.
    throw new ConfigError(
      `${config.dataDir} holds encrypted keys: start with --persist-keys and their passphrase (HUSH_KEY_PASSPHRASE or --key-passphrase), or use another --data-dir`,
    );
  }
  return new MemoryKeyStore();
}

async function assemble(
  config: NodeConfig,
  logger: Logger,
  store: Store,
  archiveStore: Store | undefined,
  backend: CryptoBackend,
): Promise<HushNode> {
  const key = await loadNodeKey(store, backend);
  // Keys first: a refusal here leaves nothing started.
  const keys = await openKeyStore(config, store);
  const contacts = await NodeContacts.open(store, {
    self: backend.publicKeyCreate(key),
    backend,
  });
  const [host, port] = config.listen.startsWith('[')
    ? [
        config.listen.slice(1, config.listen.indexOf(']')),
        config.listen.slice(config.listen.indexOf(']') + 2),
      ]
    : (config.listen.split(':') as [string, string]);
  const metrics = new NodeMetrics();
  const peerBook = new PeerBook(store);
  const known = await peerBook.load(Date.now());
  // Bootstrap peers first, then as many remembered peers as the node may connect to.
  const dialList = [...new Set([...config.bootstrap, ...known.map((p) => p.address)])].slice(
    0,
    Math.max(config.bootstrap.length, config.maxPeers),
  );
  const archive = archiveStore ? new Archive(archiveStore) : undefined;
  const linkLimits = { maxFrameBytes: config.maxMessageSize + 1024 };
  const rlpxAt = config.rlpx ? /^\[?(.*?)\]?:(\d+)$/.exec(config.rlpx) : null;
  const rlpx = rlpxTransport({
    privateKey: key,
    ...(rlpxAt ? { host: rlpxAt[1]!, port: Number(rlpxAt[2]) } : {}),
    ...(config.rlpxAnnounce ? { announceHost: config.rlpxAnnounce } : {}),
    limits: linkLimits,
    metrics,
    backend,
    clientName: CLIENT_VERSION,
  });
  const gossip = createGossipNode({
    key,
    transport: combinedTransport([
      {
        schemes: ['ws', 'wss'],
        listens: true,
        transport: webSocketTransport({
          privateKey: key,
          host,
          port: Number(port),
          limits: linkLimits,
        }),
      },
      { schemes: ['enode'], listens: rlpxAt !== null, transport: rlpx },
    ]),
    bootstrap: dialList,
    maxPeers: config.maxPeers,
    minPow: config.minPow,
    maxMessageSize: config.maxMessageSize,
    lightClient: config.light,
    logger,
    metrics,
    ...(archive
      ? {
          onP2PRequest: mailserverHandler({
            archive,
            symKey: symKeyFromPassword(config.mailserverPassword, backend),
            backend,
            logger,
          }),
        }
      : {}),
  });
  // A mailserver's completion the node cannot read answers no request: the peer broke the
  // protocol (specs/mailserver §5.3) and is let go. Bad RLP is dropped by the engine itself.
  gossip.engine.on('p2p:complete', ({ from, payload }) => {
    try {
      decodeRequestComplete(payload);
    } catch (error) {
      logger.warn({ peer: from, reason: (error as Error).message }, 'mailserver answer refused');
      gossip.engine.disconnect(from);
    }
  });
  metrics.watch(gossip);
  metrics.watchStore(join(dataDirPath(config.dataDir), 'db'));
  // Peers coming and going, and dials that fail, are what an operator looks for first.
  gossip.on('peer:disconnected', ({ id, reason, detail }) =>
    logger.info({ peer: id, reason, ...(detail ? { detail } : {}) }, 'peer disconnected'),
  );
  gossip.on('dial:failed', ({ address, reason, retryInMs }) =>
    logger.warn({ address, reason, retryInSeconds: Math.round(retryInMs / 1000) }, 'dial failed'),
  );
  gossip.on('peer:connected', ({ id, address, outbound, dialed }) => {
    logger.info({ peer: id, address, outbound }, 'peer connected');
    if (!dialed) return; // an inbound peer's address is an ephemeral port, not worth keeping
    peerBook
      .remember(id, dialed, Date.now())
      .catch((error: unknown) => logger.warn({ reason: String(error) }, 'peer book write failed'));
  });
  // With a mailserver every accepted envelope is archived; a local post is answered only once
  // its archive write is done, so what was acknowledged survives a crash.
  const archiving = new Map<string, Promise<void>>();
  if (archive) {
    gossip.engine.on('envelope', (accepted) => {
      if (accepted.p2p) return;
      const key = Buffer.from(accepted.hash).toString('hex');
      const write = archive
        .add(accepted.envelope, encodeEnvelope(accepted.envelope), accepted.hash)
        .then(() => metrics.archiveWrites.inc());
      // A failed write is logged here, and shh_post (which awaits the write) reports it.
      const forget = () => archiving.delete(key);
      write.then(forget, (error: unknown) => {
        forget();
        logger.error({ reason: String(error) }, 'archive write failed');
      });
      archiving.set(key, write);
    });
  }
  let direct: NodeDirect | undefined;
  const prune = setInterval(() => {
    archive?.prune(Math.floor(Date.now() / 1000) - config.archiveRetention).catch(() => undefined);
    direct?.prune().catch(() => undefined);
  }, 3600_000);
  prune.unref();
  // Keys, filters and subscriptions are the client's; gossip hands it every envelope.
  const client = new HushClient({ keys, backend });
  metrics.watchFilters(client.filters);
  client.attach(gossipEnvelopes(gossip));
  let pool: PowScanPool | undefined;
  const workers = Math.max(1, availableParallelism() - 1);
  try {
    pool = await createPowWorkerPool(workers);
  } catch (error) {
    logger.warn({ error: String(error) }, 'PoW workers unavailable; sealing in the main thread');
  }
  if (config.direct) {
    try {
      // Envelopes contacts deliver reach the client's filters as source `direct`.
      direct = await NodeDirect.start({
        config,
        host,
        gossipPort: Number(port),
        store,
        nodeKey: key,
        contacts,
        gossip,
        client,
        metrics,
        logger,
        pool,
        backend,
      });
    } catch (error) {
      clearInterval(prune);
      client.close();
      await pool?.close();
      await keys.close();
      throw error;
    }
  }
  let dht: NodeDht | undefined;
  if (config.dht) {
    try {
      // Envelopes fetched from the node's inbox reach the client's filters as source `inbox`.
      dht = await NodeDht.start({
        config,
        host,
        gossipPort: Number(port),
        store,
        nodeKey: key,
        client,
        metrics,
        logger,
        backend,
      });
    } catch (error) {
      clearInterval(prune);
      await direct?.close();
      client.close();
      await pool?.close();
      await keys.close();
      throw error;
    }
  }
  let mixnet: WhisperMixnet | undefined;
  if (config.mixnet) {
    try {
      // Envelopes that come through the mixnet reach the client's filters as source `mixnet`.
      mixnet = await WhisperMixnet.start({
        network: readNetworkFile(config.mixnet),
        store,
        client,
        inject: (envelope) => gossip.post(envelope),
        exit: config.mixnetExit,
        ...(config.mixnetExitVia ? { exitVia: parseMixnetAddress(config.mixnetExitVia) } : {}),
        ...(config.mixnetGateway
          ? { gateway: Uint8Array.from(Buffer.from(config.mixnetGateway, 'hex')) }
          : {}),
        ...(config.mixnetInbox
          ? { inbox: Uint8Array.from(Buffer.from(config.mixnetInbox, 'hex')) }
          : {}),
        metrics,
        logger,
      });
    } catch (error) {
      clearInterval(prune);
      await dht?.close();
      await direct?.close();
      client.close();
      await pool?.close();
      await keys.close();
      throw error instanceof RangeError || error instanceof DirectoryError
        ? new ConfigError(`mixnet: ${error.message}`)
        : error;
    }
  }
  const shhServices: ShhServices = {
    gossip,
    client,
    pool,
    allowGetPrivateKey: config.allowGetPrivateKey,
    passwordKeys: new PasswordKeyDeriver(),
    maxPowTime: config.maxPowTime,
    seals: new SealLimits(SEALS_PER_CLIENT, (running) => metrics.sealsRunning.set(running)),
    now: () => Date.now(),
    observePow: (seconds) => metrics.powSeconds.observe(seconds),
    afterPost: (hash) => archiving.get(Buffer.from(hash).toString('hex')) ?? Promise.resolve(),
    ...(direct ? { direct, nodeKey: key } : {}),
    ...(dht ? { inboxKey: () => dht.inboxPrivateKey() } : {}),
    ...(mixnet && config.postVia === 'mixnet'
      ? {
          postVia: {
            send: (envelope: Envelope) => mixnet.post(envelope),
            maxEnvelopeSize: mixnet.maxEnvelopeSize,
          },
        }
      : {}),
  };
  const methods = shhMethods(shhServices);
  const apis = config.rpcApi as RpcModule[];
  const dispatcher = new JsonRpcDispatcher(
    instrument(
      {
        ...(apis.includes('shh') ? methods : {}),
        ...(apis.includes('shhext') ? shhextMethods({ gossip, keys, backend, nodeKey: key }) : {}),
        ...(apis.includes('hush')
          ? hushMethods({
              contacts,
              ...(direct ? { direct } : {}),
              seal: directPost(shhServices),
            })
          : {}),
        ...(apis.includes('hush')
          ? inboxMethods({
              ...(dht ? { dht } : {}),
              minPow: config.minPow,
              seal: inboxPost(shhServices),
            })
          : {}),
        ...(apis.includes('hush')
          ? mixnetMethods({
              ...(mixnet ? { mixnet } : {}),
              minPow: config.minPow,
              seal: directPost(shhServices),
            })
          : {}),
        ...nodeApiMethods(gossip, apis, () => discovery?.port),
      },
      metrics,
    ),
  );
  let ready = false;
  await gossip.start();
  // Discovery v4 on UDP at the RLPx listener's address and port, as geth binds it (after the
  // listener, so that --rlpx host:0 gives both the one port TCP picked).
  let discovery: DiscoveryV4 | undefined;
  let dialer: DiscoveryDialer | undefined;
  if (config.discovery && rlpxAt) {
    // The port the listener bound (--rlpx host:0 picks one).
    const tcpPort = rlpx.port!;
    discovery = discoveryV4({
      privateKey: key,
      host: rlpxAt[1]!,
      port: tcpPort,
      tcpPort,
      ...(config.rlpxAnnounce ? { announceHost: config.rlpxAnnounce } : {}),
      bootnodes: [...config.bootnodes, ...config.bootstrap.filter((a) => a.startsWith('enode:'))],
      logger,
      metrics,
    });
  }
  let rpc: RpcServers | undefined;
  let metricsServer: { url: string; close(): Promise<void> } | undefined;
  let web: WebServer | undefined;
  // One set of rules for every HTTP listener: RPC over HTTP and WebSocket, metrics and health.
  const security = { vhosts: config.rpcVhosts, origins: config.rpcOrigins, token: config.rpcToken };
  try {
    if (discovery) {
      await discovery.start();
      dialer = startDiscoveryDialer({ discovery, gossip, maxPeers: config.maxPeers, logger });
    }
    rpc = await startRpcServers(dispatcher, {
      host: config.rpcHost,
      httpPort: config.rpcPort,
      wsPort: config.wsPort,
      security,
      logger,
    });
    if (config.metricsPort >= 0) {
      metricsServer = await startMetricsServer(metrics, {
        host: config.rpcHost,
        port: config.metricsPort,
        ready: () => ready,
        security,
      });
    }
    // The browser app's page speaks to the node's listeners itself, never to the RPC.
    if (config.webPort >= 0) {
      web = await startWebServer({
        host: config.rpcHost,
        port: config.webPort,
        vhosts: config.rpcVhosts,
        connect: webConnectInfo({
          gossip,
          config,
          dhtAddress: dht?.address,
          servedRelay: direct?.relayUrl,
          mixnet,
        }),
        mixnet,
        logger,
      });
    }
  } catch (error) {
    await metricsServer?.close();
    await rpc?.close();
    await mixnet?.close();
    await dht?.close();
    await direct?.close();
    dialer?.stop();
    await discovery?.stop();
    await gossip.stop();
    await pool?.close();
    await keys.close();
    throw error;
  }
  ready = true;
  // Contacts learn where this node is now (and dial it when they hold messages for it).
  void direct?.introduceAll();
  logger.info(
    {
      id: gossip.id,
      gossip: gossip.addresses.filter((a) => !a.startsWith('enode:')),
      ...(rlpxAt ? { enode: rlpx.addresses[0] } : {}),
      ...(discovery ? { discovery: `udp ${rlpxAt![1]}:${discovery.port}` } : {}),
      rpc: rpc.httpUrl,
      ws: rpc.wsUrl,
      ...(direct ? { direct: direct.endpoints } : {}),
      ...(direct?.relayUrl ? { relay: direct.relayUrl } : {}),
      ...(dht ? { dht: dht.address } : {}),
      ...(mixnet ? { mixnet: mixnet.address } : {}),
      ...(web ? { web: web.url } : {}),
    },
    'hush node started',
  );
  return {
    gossip,
    rpc,
    store,
    archiveStore,
    metrics,
    contacts,
    direct,
    discovery,
    dht,
    mixnet,
    metricsUrl: metricsServer?.url,
    webUrl: web?.url,
    web,
    id: gossip.id,
    async stop() {
      ready = false;
      client.close();
      clearInterval(prune);
      await Promise.allSettled(archiving.values());
      await web?.close();
      await metricsServer?.close();
      await rpc.close();
      await mixnet?.close();
      await dht?.close();
      await direct?.close();
      dialer?.stop();
      await discovery?.stop();
      await gossip.stop();
      await pool?.close();
      await keys.close();
      if (archiveStore && archiveStore !== store) await archiveStore.close();
      await store.close();
      logger.info({}, 'hush node stopped');
    },
  };
}
