/**
 * The discovery v4 UDP service (specs/rlpx SPEC §10.2–§10.5, go-ethereum v1.8.27
 * `p2p/discover/udp.go` and `table.go`): it answers pings with pongs, proves its endpoint
 * before asking (geth answers findnode only from a node whose ping it has seen answered, and
 * pings back whoever pings it), answers findnode with neighbors split as geth splits them,
 * matches replies to requests within 500 ms, runs geth's iterative lookup (alpha 3), and
 * refreshes the table from the bootnodes, a self lookup and random lookups. Every datagram
 * that is malformed, oversize, unsigned, expired, unsolicited or from an unproven node is
 * dropped and counted; nothing a peer sends can throw out of the socket handler.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { type CryptoBackend, defaultBackend, randomBytes } from '@hush/crypto';
import {
  type AbortOptions,
  type Clock,
  type Logger,
  type Metrics,
  noMetrics,
  silentLogger,
  systemClock,
  type TimerHandle,
} from '@hush/interface';
import { keccak256 } from '@hush/keccak';
import { type Enode, formatEnode, parseEnode } from '../enode.js';
import { RlpxError } from '../errors.js';
import { ipToBytes, ipToString, relayFault } from './ip.js';
import {
  type DecodedPacket,
  type Endpoint,
  encodePacket,
  type NodeRecord,
  PACKET_EXPIRATION_S,
  type PacketBody,
  PacketType,
  readPacket,
} from './packet.js';
import { BUCKET_SIZE, pushByDistance, RoutingTable, type TableNode } from './table.js';

/** geth's respTimeout: a reply must come within 500 ms of its request. */
export const RESPONSE_TIMEOUT_MS = 500;
/** geth's bondExpiration: a proven endpoint stays proven for 24 h. */
const BOND_EXPIRATION_MS = 24 * 60 * 60 * 1000;
/** geth's refreshInterval. */
const REFRESH_INTERVAL_MS = 30 * 60 * 1000;
/** geth's revalidateInterval: the next check comes at a random time below it. */
const REVALIDATE_INTERVAL_MS = 10_000;
/** geth's alpha: findnode queries in flight per lookup. */
export const LOOKUP_ALPHA = 3;
/**
 * The most findnode queries one lookup sends. geth v1.8.27 has no such bound, so peers that
 * keep answering with ever nearer fresh nodes keep its lookup going for as long as they like;
 * an honest lookup converges in a few rounds of {@link LOOKUP_ALPHA}, far below this.
 */
export const LOOKUP_MAX_QUERIES = 64;
/** geth's maxFindnodeFailures: a node whose findnode comes back empty this often is dropped. */
const MAX_FINDNODE_FAILURES = 5;
/**
 * The most (id, ip) records kept in each of the in-memory bond maps (last ping, last pong,
 * findnode failures). geth keeps them on disk; here any key can ping us under a fresh id, so
 * past this the least recently touched record is forgotten (that node just bonds again).
 */
export const MAX_BOND_RECORDS = 20_000;
/**
 * geth's maxNeighbors: the most nodes of the largest size (IPv6, 16-bit ports) that fit a
 * neighbors packet with a 64-bit expiration under 1280 bytes. Computed in geth's `init`; 12.
 */
export const MAX_NEIGHBORS = 12;

/** Settings of a discovery v4 service. */
export interface DiscoveryV4Options {
  /** This node's 32-byte secp256k1 key (the same as its RLPx key): it signs every packet. */
  readonly privateKey: Uint8Array;
  /** UDP bind address (default 127.0.0.1). */
  readonly host?: string;
  /** UDP port (default 30303; 0 picks one). */
  readonly port?: number;
  /** The RLPx TCP port announced in pings. */
  readonly tcpPort: number;
  /** The IP announced in pings (default: `host`, or 127.0.0.1 for a wildcard). */
  readonly announceHost?: string;
  /** `enode://` URLs to start from; their UDP port is `discoveryPort ?? port`. */
  readonly bootnodes?: readonly string[];
  /** Time between table refreshes (default 30 min, as geth). */
  readonly refreshIntervalMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Registers `hush_discv4_dropped_total{reason}`. */
  readonly metrics?: Metrics;
  /** Records kept per bond map (default {@link MAX_BOND_RECORDS}). */
  readonly maxBondRecords?: number;
  readonly backend?: CryptoBackend;
}

/** A running discovery v4 service. */
export interface DiscoveryV4 {
  /**
   * Binds the UDP socket and starts the refresh loop (the first refresh runs at once, in the
   * background). Idempotent.
   *
   * @throws Error if the service was stopped, or the socket cannot bind
   */
  start(): Promise<void>;
  /** Closes the socket and every timer; lookups in flight end with what they found. Idempotent. */
  stop(): Promise<void>;
  /** The bound UDP port (the configured one before `start`). */
  readonly port: number;
  /** This node's enode URL, with `?discport=` when the UDP port is not the TCP port. */
  readonly enode: string;
  /**
   * An iterative lookup (geth's `Table.lookup`): the nodes nearest the target's id that
   * answered our ping, nearest first, at most 16. Without a target, our own key.
   *
   * @throws RangeError if `targetPublicKey` is not 64 or 65 bytes
   * @throws the signal's reason when aborted
   */
  lookup(targetPublicKey?: Uint8Array, options?: AbortOptions): Promise<Enode[]>;
  /** The table's live nodes. */
  nodes(): Enode[];
  /**
   * Calls `listener` once for each node entering the table (it has answered a ping).
   *
   * @returns a function that removes the listener
   */
  onNode(listener: (node: Enode) => void): () => void;
}

/** A node we know an endpoint of, proven or not. */
interface Contact extends TableNode {
  readonly idHex: string;
}

interface Matcher {
  readonly from: string;
  readonly ip: string;
  readonly type: PacketType;
  readonly accept: (body: PacketBody) => { matched: boolean; done: boolean };
  readonly finish: (ok: boolean) => void;
  timer: TimerHandle;
}

/**
 * A map that keeps its `max` most recently set keys: `set` moves a key to the end, and the
 * oldest go first. Every bond map is keyed by attacker-chosen (id, ip) pairs.
 */
class RecentMap<V> extends Map<string, V> {
  private readonly max: number;
  constructor(max: number) {
    super();
    this.max = max;
  }
  override set(key: string, value: V): this {
    super.delete(key);
    super.set(key, value);
    while (this.size > this.max) {
      const oldest = this.keys().next();
      if (oldest.done) break;
      super.delete(oldest.value);
    }
    return this;
  }
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

function contactOf(publicKey: Uint8Array, ip: Uint8Array, udp: number, tcp: number): Contact {
  const id = keccak256(publicKey.subarray(1));
  return { id, idHex: toHex(id), publicKey, ip, udp, tcp };
}

function enodeOf(n: TableNode): Enode {
  return {
    publicKey: n.publicKey,
    host: ipToString(n.ip),
    port: n.tcp,
    ...(n.udp !== n.tcp ? { discoveryPort: n.udp } : {}),
  };
}

function checkPort(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min || value > 65535)
    throw new RangeError(`${name} must be an integer in ${min} … 65535`);
}

/**
 * A discovery v4 service as go-ethereum v1.8.27 speaks it. Nothing is bound until `start`.
 *
 * @example
 * ```ts
 * const discovery = discoveryV4({
 *   privateKey: nodeKey,
 *   host: '0.0.0.0',
 *   port: 30303,
 *   tcpPort: 30303,
 *   announceHost: '203.0.113.7',
 *   bootnodes: ['enode://a979…@52.16.188.185:30303'],
 * });
 * discovery.onNode((node) => console.log(formatEnode(node)));
 * await discovery.start();
 * const near = await discovery.lookup();
 * ```
 *
 * @throws TypeError if `privateKey` is not a valid secp256k1 key, or `host` / `announceHost`
 *   is not an IP address
 * @throws RangeError if `port`, `tcpPort`, `refreshIntervalMs` or `maxBondRecords` is out of
 *   range
 * @throws RlpxError 'bad-enode' for a bootnode URL that does not parse, whose host is not an
 *   IP address, or that has no UDP port
 */
export function discoveryV4(options: DiscoveryV4Options): DiscoveryV4 {
  const backend = options.backend ?? defaultBackend;
  if (!(options.privateKey instanceof Uint8Array) || !backend.isValidPrivateKey(options.privateKey))
    throw new TypeError('privateKey must be a valid secp256k1 private key');
  const host = options.host ?? '127.0.0.1';
  if (!isIP(host)) throw new TypeError(`host must be an IP address: ${host}`);
  checkPort('port', options.port ?? 30303, 0);
  checkPort('tcpPort', options.tcpPort, 0);
  const maxBondRecords = options.maxBondRecords ?? MAX_BOND_RECORDS;
  if (!Number.isInteger(maxBondRecords) || maxBondRecords < 1)
    throw new RangeError('maxBondRecords must be a positive integer');
  const refreshInterval = options.refreshIntervalMs ?? REFRESH_INTERVAL_MS;
  if (!Number.isFinite(refreshInterval) || refreshInterval <= 0)
    throw new RangeError('refreshIntervalMs must be a positive number');
  const wildcard = host === '0.0.0.0' || host === '::';
  const announceHost = options.announceHost ?? (wildcard ? '127.0.0.1' : host);
  if (!isIP(announceHost))
    throw new TypeError(`announceHost must be an IP address: ${announceHost}`);
  const announceIp = ipToBytes(announceHost);

  const bootnodes: Contact[] = (options.bootnodes ?? []).map((url) => {
    const e = parseEnode(url);
    if (!isIP(e.host))
      throw new RlpxError('bad-enode', `a bootnode's host must be an IP address: ${url}`);
    const udp = e.discoveryPort ?? e.port;
    if (udp === 0) throw new RlpxError('bad-enode', `bootnode without a UDP port: ${url}`);
    return contactOf(e.publicKey, ipToBytes(e.host), udp, e.port);
  });

  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const dropped = (options.metrics ?? noMetrics).counter({
    name: 'hush_discv4_dropped_total',
    help: 'discovery v4 datagrams dropped, by reason',
    labelNames: ['reason'],
  });
  const privateKey = options.privateKey;
  const publicKey = backend.publicKeyCreate(privateKey);
  const selfId = keccak256(publicKey.subarray(1));
  const selfHex = toHex(selfId);
  const table = new RoutingTable(selfId);
  const listeners = new Set<(node: Enode) => void>();
  // geth's node database, in memory: when each (id, ip) last pinged us and last ponged us.
  const lastPing = new RecentMap<number>(maxBondRecords);
  const lastPong = new RecentMap<number>(maxBondRecords);
  const findFails = new RecentMap<number>(maxBondRecords);
  // Resolvers of findnode calls waiting for the pinged node to ping us back.
  const pingWaiters = new Map<string, Set<() => void>>();
  // (id, ip) keys of the nodes being pinged back (each for at most a reply time).
  const pingingBack = new Set<string>();
  /**
   * Replies awaited, by sender id, IP and packet type: a reply is checked only against what
   * was asked of that sender, so a flood of unsolicited pongs costs a lookup each, whatever
   * the number of requests in flight.
   */
  const matchers = new Map<string, Set<Matcher>>();
  const matcherKey = (from: string, ip: string, type: number) => `${from}|${ip}|${type}`;
  const sleeps = new Set<{ timer: TimerHandle; wake: () => void }>();
  let socket: Socket | undefined;
  let boundPort = options.port ?? 30303;
  let starting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  let stopped = false;
  let refreshTimer: TimerHandle | undefined;
  let revalidateTimer: TimerHandle | undefined;
  let refreshing = false;

  const bondKey = (idHex: string, ip: string) => `${idHex}@${ip}`;
  const recent = (map: Map<string, number>, key: string) =>
    clock.now() - (map.get(key) ?? Number.NEGATIVE_INFINITY) <= BOND_EXPIRATION_MS;

  const drop = (reason: string, rinfo: RemoteInfo, detail?: string) => {
    dropped.inc(1, { reason });
    logger.debug(
      { reason, from: `${rinfo.address}:${rinfo.port}`, ...(detail ? { detail } : {}) },
      'discv4 packet dropped',
    );
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopped) {
        resolve();
        return;
      }
      const entry = {
        wake: () => {
          sleeps.delete(entry);
          resolve();
        },
        timer: clock.setTimeout(() => entry.wake(), ms),
      };
      sleeps.add(entry);
    });

  const send = (body: PacketBody, to: { ip: Uint8Array; udp: number }): Uint8Array | undefined => {
    if (!socket || stopped) return undefined;
    const { packet, hash } = encodePacket(body, privateKey, backend);
    try {
      socket.send(packet, to.udp, ipToString(to.ip), (error) => {
        if (error) logger.debug({ error: error.message }, 'discv4 send failed');
      });
    } catch (error) {
      // A destination the socket cannot reach (another address family, say): as lost.
      logger.debug({ error: (error as Error).message }, 'discv4 send failed');
      return undefined;
    }
    return hash;
  };

  const expiration = () => Math.floor(clock.now() / 1000) + PACKET_EXPIRATION_S;
  const ourEndpoint = (): Endpoint => ({ ip: announceIp, udp: boundPort, tcp: options.tcpPort });

  /** Waits for replies of one type from one node; `finish(false)` on timeout or stop. */
  const expect = (from: Contact, type: PacketType, accept: Matcher['accept']): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      if (stopped) {
        resolve(false);
        return;
      }
      const key = matcherKey(from.idHex, ipToString(from.ip), type);
      const matcher: Matcher = {
        from: from.idHex,
        ip: ipToString(from.ip),
        type,
        accept,
        finish: (ok) => {
          const waiting = matchers.get(key);
          if (!waiting?.delete(matcher)) return;
          if (waiting.size === 0) matchers.delete(key);
          clock.clearTimeout(matcher.timer);
          resolve(ok);
        },
        timer: clock.setTimeout(() => matcher.finish(false), RESPONSE_TIMEOUT_MS),
      };
      const waiting = matchers.get(key) ?? new Set<Matcher>();
      waiting.add(matcher);
      matchers.set(key, waiting);
    });

  const addVerified = (node: Contact) => {
    const outcome = table.addVerified(node);
    if (outcome !== 'added') return;
    const enode = enodeOf(node);
    for (const listener of [...listeners]) {
      try {
        listener(enode);
      } catch (error) {
        logger.warn({ error: (error as Error).message }, 'discv4 onNode listener threw');
      }
    }
  };

  /** Pings a node; on its pong the node is proven and joins the table. */
  const ping = (node: Contact): Promise<boolean> => {
    const hash = send(
      {
        type: PacketType.Ping,
        version: 4,
        from: ourEndpoint(),
        // geth leaves the TCP port of the destination 0.
        to: { ip: node.ip, udp: node.udp, tcp: 0 },
        expiration: expiration(),
      },
      node,
    );
    if (!hash) return Promise.resolve(false);
    return expect(node, PacketType.Pong, (body) => {
      const matched =
        body.type === PacketType.Pong &&
        body.replyToken.length === 32 &&
        body.replyToken.every((b, i) => b === hash[i]);
      return { matched, done: matched };
    }).then((ok) => {
      if (ok) addVerified(node);
      return ok;
    });
  };

  /** Waits until `node` pings us, at most `ms`. */
  const awaitPing = (node: Contact, ms: number) =>
    new Promise<void>((resolve) => {
      const key = bondKey(node.idHex, ipToString(node.ip));
      let waiters = pingWaiters.get(key);
      if (!waiters) {
        waiters = new Set();
        pingWaiters.set(key, waiters);
      }
      const set = waiters;
      const done = () => {
        set.delete(done);
        if (set.size === 0) pingWaiters.delete(key);
        resolve();
      };
      set.add(done);
      void sleep(ms).then(done);
    });

  /** geth's `udp.findnode` with the endpoint proof first, then `Table.findnode`'s bookkeeping. */
  const findnode = async (node: Contact, target: Uint8Array): Promise<Contact[]> => {
    const ip = ipToString(node.ip);
    const key = bondKey(node.idHex, ip);
    if (!recent(lastPing, key)) {
      // The other side answers findnode only once it holds a pong from us, which it gets by
      // pinging us back after our ping: ping, then give it a reply time to do so.
      if (!(await ping(node))) return [];
      if (!recent(lastPing, key)) await awaitPing(node, RESPONSE_TIMEOUT_MS);
    }
    const found: Contact[] = [];
    let received = 0;
    const waiting = expect(node, PacketType.Neighbors, (body) => {
      if (body.type !== PacketType.Neighbors) return { matched: false, done: false };
      for (const record of body.nodes) {
        received++;
        const contact = contactFromRecord(node.ip, record);
        if (contact) found.push(contact);
      }
      return { matched: true, done: received >= BUCKET_SIZE };
    });
    send({ type: PacketType.FindNode, target, expiration: expiration() }, node);
    await waiting;
    if (stopped) return found;
    const fails = findFails.get(key) ?? 0;
    if (found.length === 0) {
      findFails.set(key, fails + 1);
      if (fails + 1 >= MAX_FINDNODE_FAILURES) table.delete(node.id);
    } else if (fails > 1) findFails.set(key, fails - 1);
    else findFails.delete(key);
    return found;
  };

  /** geth's `nodeFromRPC`: a neighbor worth believing, or undefined. */
  const contactFromRecord = (sender: Uint8Array, record: NodeRecord): Contact | undefined => {
    if (record.udp <= 1024) return undefined;
    if (relayFault(sender, record.ip) !== undefined) return undefined;
    const key = new Uint8Array(65);
    key[0] = 4;
    key.set(record.id, 1);
    if (!backend.isValidPublicKey(key)) return undefined;
    return contactOf(key, record.ip, record.udp, record.tcp);
  };

  /** geth's `Table.lookup`, starting from the table's nearest and any `seeds`. */
  const runLookup = async (
    targetKey: Uint8Array,
    seeds: readonly Contact[],
    abort?: AbortOptions,
  ): Promise<Contact[]> => {
    const target = keccak256(targetKey);
    const asked = new Set<string>([selfHex]);
    const seen = new Set<string>([selfHex]);
    const result: Contact[] = [];
    for (const n of table.closest(target, BUCKET_SIZE)) {
      const c = n as Contact;
      seen.add(c.idHex);
      pushByDistance(result, c, target, BUCKET_SIZE);
    }
    for (const c of seeds) {
      if (seen.has(c.idHex)) continue;
      seen.add(c.idHex);
      pushByDistance(result, c, target, BUCKET_SIZE);
    }
    let pending = 0;
    let queries = 0;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(abort?.signal?.reason);
      abort?.signal?.addEventListener('abort', onAbort, { once: true });
      const finish = () => {
        abort?.signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const step = () => {
        if (stopped || abort?.signal?.aborted) {
          if (pending === 0) finish();
          return;
        }
        for (let i = 0; i < result.length && pending < LOOKUP_ALPHA; i++) {
          const n = result[i] as Contact;
          if (asked.has(n.idHex)) continue;
          if (queries >= LOOKUP_MAX_QUERIES) break;
          asked.add(n.idHex);
          queries++;
          pending++;
          findnode(n, targetKey)
            .catch(() => [] as Contact[])
            .then((nodes) => {
              pending--;
              for (const m of nodes) {
                if (seen.has(m.idHex)) continue;
                seen.add(m.idHex);
                pushByDistance(result, m, target, BUCKET_SIZE);
              }
              step();
            });
        }
        if (pending === 0) finish();
      };
      step();
    });
    // Every node left in the result was asked, so pinged first unless it had pinged us: the
    // proven ones are those that answered a ping within the bond time.
    return result.filter(
      (n) => table.has(n.id) || recent(lastPong, bondKey(n.idHex, ipToString(n.ip))),
    );
  };

  const refresh = async () => {
    if (refreshing || stopped) return;
    refreshing = true;
    try {
      // geth's doRefresh: the seeds (bootnodes) in, a lookup of ourselves, three random ones.
      await runLookup(publicKey.subarray(1), bootnodes);
      for (let i = 0; i < 3 && !stopped; i++) await runLookup(randomBytes(64), bootnodes);
    } catch (error) {
      logger.warn({ error: (error as Error).message }, 'discv4 refresh failed');
    } finally {
      refreshing = false;
    }
  };

  /** geth's `doRevalidate`: ping the last entry of a random bucket, replace it if silent. */
  const scheduleRevalidate = () => {
    if (stopped) return;
    revalidateTimer = clock.setTimeout(async () => {
      const last = table.nodeToRevalidate() as Contact | undefined;
      if (last) {
        const ok = await ping(last);
        if (!ok && !stopped) table.replace(last);
      }
      scheduleRevalidate();
    }, Math.random() * REVALIDATE_INTERVAL_MS);
  };

  const handle = (data: Buffer, rinfo: RemoteInfo) => {
    const datagram = new Uint8Array(data.buffer, data.byteOffset, data.length);
    const read = readPacket(datagram, backend);
    if ('fault' in read) {
      drop(read.fault, rinfo, read.message);
      return;
    }
    const packet: DecodedPacket = read;
    const body = packet.body;
    // geth's `expired`: time.Unix(expiration) is before now.
    if (body.expiration * 1000 < clock.now()) {
      drop('expired', rinfo);
      return;
    }
    const fromIp = ipToBytes(rinfo.address);
    const fromIpText = ipToString(fromIp);
    const fromHex = toHex(packet.nodeId);
    if (fromHex === selfHex) {
      drop('self', rinfo);
      return;
    }
    const key = bondKey(fromHex, fromIpText);
    switch (body.type) {
      case PacketType.Ping: {
        send(
          {
            type: PacketType.Pong,
            to: { ip: fromIp, udp: rinfo.port, tcp: body.from.tcp },
            replyToken: packet.hash,
            expiration: expiration(),
          },
          { ip: fromIp, udp: rinfo.port },
        );
        const node = contactOf(packet.publicKey, fromIp, rinfo.port, body.from.tcp);
        if (recent(lastPong, key)) addVerified(node);
        else if (!pingingBack.has(key)) {
          // One ping back in flight per (id, ip): a node pinging in a burst is pinged once.
          pingingBack.add(key);
          void ping(node).then(() => pingingBack.delete(key));
        }
        lastPing.set(key, clock.now());
        for (const wake of [...(pingWaiters.get(key) ?? [])]) wake();
        return;
      }
      case PacketType.Pong:
      case PacketType.Neighbors: {
        let matched = false;
        for (const m of [...(matchers.get(matcherKey(fromHex, fromIpText, body.type)) ?? [])]) {
          const verdict = m.accept(body);
          if (verdict.matched) matched = true;
          if (verdict.done) m.finish(true);
        }
        if (!matched) {
          drop('unsolicited', rinfo);
          return;
        }
        if (body.type === PacketType.Pong) lastPong.set(key, clock.now());
        return;
      }
      case PacketType.FindNode: {
        if (!recent(lastPong, key)) {
          // No endpoint proof: answering would let a forged source address aim our
          // neighbors packets at a victim.
          drop('unbonded', rinfo);
          return;
        }
        const closest = table.closest(keccak256(body.target), BUCKET_SIZE);
        let batch: NodeRecord[] = [];
        let sent = false;
        const flush = () => {
          send(
            { type: PacketType.Neighbors, nodes: batch, expiration: expiration() },
            { ip: fromIp, udp: rinfo.port },
          );
          batch = [];
          sent = true;
        };
        for (const n of closest) {
          if (relayFault(fromIp, n.ip) === undefined)
            batch.push({ ip: n.ip, udp: n.udp, tcp: n.tcp, id: n.publicKey.subarray(1) });
          if (batch.length === MAX_NEIGHBORS) flush();
        }
        if (batch.length > 0 || !sent) flush();
        return;
      }
    }
  };

  const stopTimers = () => {
    if (refreshTimer !== undefined) clock.clearInterval(refreshTimer);
    if (revalidateTimer !== undefined) clock.clearTimeout(revalidateTimer);
    refreshTimer = undefined;
    revalidateTimer = undefined;
    for (const m of [...matchers.values()].flatMap((set) => [...set])) m.finish(false);
    for (const s of [...sleeps]) {
      clock.clearTimeout(s.timer);
      s.wake();
    }
  };

  const service: DiscoveryV4 = {
    get port() {
      return boundPort;
    },
    get enode() {
      return formatEnode({
        publicKey,
        host: announceHost,
        port: options.tcpPort,
        ...(boundPort !== options.tcpPort ? { discoveryPort: boundPort } : {}),
      });
    },
    start() {
      if (stopped) return Promise.reject(new Error('this discovery v4 service was stopped'));
      starting ??= new Promise<void>((resolve, reject) => {
        const s = createSocket({ type: isIP(host) === 6 ? 'udp6' : 'udp4' });
        const onBindError = (error: Error) => {
          s.close();
          reject(error);
        };
        s.once('error', onBindError);
        s.bind(options.port ?? 30303, host, () => {
          s.off('error', onBindError);
          // A socket error after binding (an ICMP unreachable, say) is logged, never thrown.
          s.on('error', (error) => logger.debug({ error: error.message }, 'discv4 socket error'));
          s.on('message', (data, rinfo) => {
            try {
              handle(data, rinfo);
            } catch (error) {
              drop('internal', rinfo, (error as Error).message);
            }
          });
          socket = s;
          boundPort = s.address().port;
          if (stopped) {
            s.close();
            socket = undefined;
            resolve();
            return;
          }
          refreshTimer = clock.setInterval(() => void refresh(), refreshInterval);
          scheduleRevalidate();
          void refresh();
          logger.info({ enode: service.enode }, 'discv4 listening');
          resolve();
        });
      });
      return starting;
    },
    stop() {
      stopped = true;
      stopping ??= (async () => {
        await starting?.catch(() => undefined);
        stopTimers();
        const s = socket;
        socket = undefined;
        if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
      })();
      return stopping;
    },
    async lookup(targetPublicKey, abort) {
      abort?.signal?.throwIfAborted();
      let target = publicKey.subarray(1);
      if (targetPublicKey !== undefined) {
        if (targetPublicKey.length === 65) target = targetPublicKey.subarray(1);
        else if (targetPublicKey.length === 64) target = targetPublicKey;
        else throw new RangeError('targetPublicKey must be 64 or 65 bytes');
      }
      if (!socket || stopped) return [];
      const found = await runLookup(target, table.size === 0 ? bootnodes : [], abort);
      return found.map(enodeOf);
    },
    nodes() {
      return table.all().map(enodeOf);
    },
    onNode(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return service;
}
