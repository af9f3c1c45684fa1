/**
 * Requests and answers over authenticated connections (specs/inbox-dht/SPEC.md §3.1): every
 * message is one frame of a `hush-dht/1` link; a request carries an id this side chose and
 * its answer copies it. {@link RpcConnection} is one connection: it matches answers to the
 * requests in flight (an unknown id is ignored and counted, an answer of the wrong type
 * fails its request as `malformed`), times each request out on the injected clock, bounds
 * the requests in flight both ways, and closes the connection on a frame that does not
 * decode (counted). {@link ConnectionRpc} keeps one connection per peer, dialing when
 * needed, implements the router's {@link DhtRpc}, and hands incoming requests to a
 * {@link DhtServer}.
 */
import {
  type Clock,
  type Connection,
  type Metrics,
  noMetrics,
  type PeerId,
  systemClock,
  type TimerHandle,
} from '@hush/interface';
import { DhtError } from './errors.js';
import type { Contact } from './routing/contact.js';
import type { NodeId } from './routing/id.js';
import { REQUEST_TIMEOUT_MS } from './routing/lookup.js';
import type { DhtRouter, DhtRpc } from './routing/router.js';
import { type DhtMessage, decodeMessage, encodeMessage, MessageType } from './wire.js';

/** Answers one request of `from`: the answer (its request id is set here), or undefined. */
export type DhtServer = (
  from: PeerId,
  message: DhtMessage,
) => DhtMessage | undefined | Promise<DhtMessage | undefined>;

/** Types that are requests; every other type is an answer. */
const REQUEST_TYPES: ReadonlySet<number> = new Set([
  MessageType.Ping,
  MessageType.FindNode,
  MessageType.StoreDescriptor,
  MessageType.GetDescriptor,
  MessageType.Deposit,
  MessageType.Fetch,
  MessageType.Delete,
  MessageType.Restore,
  MessageType.Offer,
]);

/** Whether a message type is a request (§3.2). */
export function isRequestType(type: number): boolean {
  return REQUEST_TYPES.has(type);
}

/** The ERROR codes (§3.2). */
const WIRE_CODES = new Set(['malformed', 'bad-signature', 'stale', 'refused', 'full', 'quota']);

/** Limits and settings of one connection's requests. */
export interface RpcConnectionOptions {
  readonly clock?: Clock;
  readonly metrics?: Metrics;
  /** Per-request timeout (default 2 s). */
  readonly timeoutMs?: number;
  /** Requests this side may have in flight on the connection (default 64). */
  readonly maxInFlight?: number;
  /** Requests of the other side served at once (default 32); more are refused as 'quota'. */
  readonly maxServing?: number;
}

interface Pending {
  readonly type: number;
  resolve(message: DhtMessage): void;
  reject(error: unknown): void;
}

/** The answer types a request type accepts (besides ERROR). */
function answerType(type: number): number {
  if (type === MessageType.Ping) return MessageType.Pong;
  if (type === MessageType.FindNode) return MessageType.Nodes;
  // RESTORE (0x1a) answers with RESTORED (0x1b) (§3.4).
  if (type === MessageType.Restore) return 0x1b;
  // OFFER (0x1c) answers with OFFERED (0x1d) (§8.2).
  if (type === MessageType.Offer) return 0x1d;
  // The inbox operations 0x10–0x14 answer with 0x15–0x19 (§3.2).
  return type + 5;
}

function rpcMetrics(metrics: Metrics) {
  return {
    malformed: metrics.counter({
      name: 'hush_dht_malformed_frames_total',
      help: 'DHT frames that did not decode (the connection is closed)',
    }),
    unmatched: metrics.counter({
      name: 'hush_dht_unmatched_answers_total',
      help: 'DHT answers whose request id matched no request in flight (ignored)',
    }),
    timeouts: metrics.counter({
      name: 'hush_dht_request_timeouts_total',
      help: 'DHT requests that got no answer in time',
    }),
    busy: metrics.counter({
      name: 'hush_dht_requests_busy_total',
      help: 'DHT requests not sent or not served: too many in flight on the connection',
    }),
  };
}
type RpcMetrics = ReturnType<typeof rpcMetrics>;

/** Requests and answers over one authenticated connection. */
export class RpcConnection {
  readonly connection: Connection;
  readonly peer: PeerId;
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private readonly maxServing: number;
  private readonly metric: RpcMetrics;
  private readonly pending = new Map<number, Pending>();
  private readonly closeHandlers: (() => void)[] = [];
  private nextId = 1;
  private serving = 0;
  private closedFlag = false;
  private retiring = false;
  private retireTimer: TimerHandle | undefined;
  /** When the connection was made, on the clock (a crossed dial is told from a stale link). */
  readonly openedAt: number;

  /**
   * @param serve - answers the other side's requests (default: none answered)
   * @param sharedMetrics - counters shared by many connections (else made from `metrics`)
   */
  constructor(
    connection: Connection,
    serve: DhtServer | undefined,
    options: RpcConnectionOptions = {},
    sharedMetrics?: RpcMetrics,
  ) {
    this.connection = connection;
    this.peer = connection.remotePeer;
    this.clock = options.clock ?? systemClock;
    this.timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
    this.maxInFlight = options.maxInFlight ?? 64;
    this.maxServing = options.maxServing ?? 32;
    this.metric = sharedMetrics ?? rpcMetrics(options.metrics ?? noMetrics);
    this.openedAt = this.clock.now();
    connection.onFrame((frame) => this.receive(frame, serve));
    connection.onClose(() => this.closed());
  }

  /** Whether the connection has ended. */
  get isClosed(): boolean {
    return this.closedFlag;
  }

  /** Requests in flight now. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Told once when the connection ends. */
  onClose(handler: () => void): void {
    if (this.closedFlag) handler();
    else this.closeHandlers.push(handler);
  }

  /**
   * Sends a request (its `requestId` is chosen here) and waits for its answer: an ERROR
   * answer rejects with its code.
   *
   * @throws DhtError 'closed' (closed, aborted, timed out), 'quota' (too many in flight, or
   *   refused by the other side), 'malformed' (an answer of another type), another ERROR code
   */
  request(
    message: DhtMessage,
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<DhtMessage> {
    if (this.closedFlag || this.retiring)
      return Promise.reject(new DhtError('closed', 'the connection is closed'));
    if (options.signal?.aborted) return Promise.reject(new DhtError('closed', 'aborted'));
    if (this.pending.size >= this.maxInFlight) {
      this.metric.busy.inc();
      return Promise.reject(new DhtError('quota', `${this.maxInFlight} requests in flight`));
    }
    let requestId = this.nextId;
    while (this.pending.has(requestId)) requestId = requestId >= 0xffff_ffff ? 1 : requestId + 1;
    this.nextId = requestId >= 0xffff_ffff ? 1 : requestId + 1;
    const frame = encodeMessage({ ...message, requestId } as DhtMessage);
    return new Promise<DhtMessage>((resolve, reject) => {
      const signal = options.signal;
      const finish = () => {
        this.pending.delete(requestId);
        this.clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.closeIfIdle();
      };
      const onAbort = () => {
        finish();
        reject(new DhtError('closed', 'aborted'));
      };
      const timer = this.clock.setTimeout(() => {
        finish();
        this.metric.timeouts.inc();
        reject(new DhtError('closed', `no answer in ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(requestId, {
        type: message.type,
        resolve: (answer) => {
          finish();
          resolve(answer);
        },
        reject: (error) => {
          finish();
          reject(error);
        },
      });
      if (frame.length > this.connection.maxFrameBytes) {
        this.pending.get(requestId)?.reject(new RangeError('the request is larger than a frame'));
        return;
      }
      if (!this.connection.send(frame) && this.closedFlag)
        this.pending.get(requestId)?.reject(new DhtError('closed', 'the connection is closed'));
    });
  }

  /**
   * Ends the connection gently: no new requests of this side go over it; it closes once no
   * request of either side is in flight on it (those of the other side are served), and
   * after one request timeout at the latest.
   */
  retire(): void {
    if (this.retiring || this.closedFlag) return;
    this.retiring = true;
    // Whatever the other side still has in flight on it is answered or has timed out by then.
    this.retireTimer = this.clock.setTimeout(() => this.close(), this.timeoutMs);
    this.closeIfIdle();
  }

  /** When retiring: closes once neither side has a request of its own in flight here. */
  private closeIfIdle(): void {
    if (this.retiring && this.pending.size === 0 && this.serving === 0)
      queueMicrotask(() => {
        if (this.pending.size === 0 && this.serving === 0) this.close();
      });
  }

  /** Closes the connection; requests in flight fail as 'closed'. */
  close(): void {
    this.connection.close('local');
    this.closed();
  }

  private closed(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    if (this.retireTimer) this.clock.clearTimeout(this.retireTimer);
    for (const pending of [...this.pending.values()])
      pending.reject(new DhtError('closed', 'the connection closed'));
    for (const handler of this.closeHandlers.splice(0)) handler();
  }

  private receive(frame: Uint8Array, serve: DhtServer | undefined): void {
    if (this.closedFlag) return;
    let message: DhtMessage;
    try {
      message = decodeMessage(frame);
    } catch (error) {
      this.metric.malformed.inc();
      this.connection.close('error', `malformed DHT frame: ${(error as Error).message}`);
      this.closed();
      return;
    }
    if (isRequestType(message.type)) {
      this.serveRequest(message, serve);
      return;
    }
    const pending = this.pending.get(message.requestId);
    if (!pending) {
      this.metric.unmatched.inc();
      return;
    }
    if (message.type === MessageType.Error && 'code' in message) {
      pending.reject(new DhtError(message.code, `refused by the peer: ${message.code}`));
    } else if (message.type !== answerType(pending.type)) {
      pending.reject(
        new DhtError('malformed', `type ${message.type} in answer to type ${pending.type}`),
      );
    } else {
      pending.resolve(message);
    }
  }

  private serveRequest(message: DhtMessage, serve: DhtServer | undefined): void {
    const { requestId } = message;
    const reply = (answer: DhtMessage) => {
      if (this.closedFlag) return;
      try {
        const frame = encodeMessage({ ...answer, requestId } as DhtMessage);
        if (frame.length <= this.connection.maxFrameBytes) this.connection.send(frame);
      } catch {
        // An answer this side cannot encode is not sent: the request times out.
      }
    };
    if (!serve) return;
    if (this.serving >= this.maxServing) {
      this.metric.busy.inc();
      reply({ type: MessageType.Error, requestId, code: 'quota' });
      return;
    }
    this.serving++;
    Promise.resolve()
      .then(() => serve(this.peer, message))
      .then(
        (answer) => {
          if (answer) reply(answer);
        },
        (error: unknown) => {
          if (error instanceof DhtError && WIRE_CODES.has(error.code))
            reply({ type: MessageType.Error, requestId, code: error.code });
        },
      )
      .finally(() => {
        this.serving--;
        this.closeIfIdle();
      });
  }
}

/** The serving side of routing: PING and FIND_NODE answered by the router (SPEC §2.5). */
export function routerServer(router: DhtRouter): DhtServer {
  return (from, message) => {
    if (message.type === MessageType.FindNode && 'target' in message)
      return {
        type: MessageType.Nodes,
        requestId: 0,
        contacts: router.handleFindNode(from, message.target, message.endpoints),
      };
    if (message.type === MessageType.Ping && 'endpoints' in message) {
      router.handlePing(from, message.endpoints);
      return { type: MessageType.Pong, requestId: 0 };
    }
    return undefined;
  };
}

/** Makes an authenticated connection to a contact. */
export type Dialer = (
  contact: Contact,
  options: { readonly signal?: AbortSignal },
) => Promise<Connection>;

/** How close in time two connections each way must be to count as one crossed dial. */
const CROSSED_DIAL_MS = 10_000;

/** Settings of a node's connections. */
export interface ConnectionRpcOptions extends RpcConnectionOptions {
  /** Dials a contact that has no connection yet. */
  readonly dial: Dialer;
  /** Serves the requests others make. */
  readonly serve?: DhtServer;
  /** Where this node listens, told in PING and FIND_NODE (§2.1). */
  readonly endpoints?: readonly string[];
  /** Connections kept at most (default 256); past it the oldest is closed. */
  readonly maxConnections?: number;
  /**
   * This node's peer id: when a peer and this node dial each other at once, both keep the
   * connection the lower id dialed. Without it the newer connection always stays.
   */
  readonly localPeer?: PeerId;
}

/** A node's DHT connections, one per peer: the router's {@link DhtRpc} over Noise links. */
export class ConnectionRpc implements DhtRpc {
  private readonly options: ConnectionRpcOptions;
  private readonly connections = new Map<PeerId, RpcConnection>();
  private readonly dialing = new Map<PeerId, Promise<RpcConnection>>();
  private readonly metric: RpcMetrics;
  private readonly maxConnections: number;
  private server: DhtServer | undefined;
  private stopped = false;

  constructor(options: ConnectionRpcOptions) {
    this.options = options;
    this.server = options.serve;
    this.maxConnections = options.maxConnections ?? 256;
    this.metric = rpcMetrics(options.metrics ?? noMetrics);
  }

  /** Sets what answers incoming requests (for a server made after this). */
  setServer(serve: DhtServer): void {
    this.server = serve;
  }

  /** What answers incoming requests now (to wrap it, as a test or a simulation does). */
  get serving(): DhtServer | undefined {
    return this.server;
  }

  /** Connections open now. */
  get size(): number {
    return this.connections.size;
  }

  /**
   * Takes an authenticated connection (inbound, or dialed elsewhere): its requests are
   * served, and requests to its peer go over it.
   */
  add(connection: Connection): RpcConnection {
    if (this.stopped) {
      connection.close('local', 'the DHT node is stopped');
      throw new DhtError('closed', 'the DHT node is stopped');
    }
    const rpc = new RpcConnection(
      connection,
      (from, message) => this.server?.(from, message),
      this.options,
      this.metric,
    );
    const peer = rpc.peer;
    const previous = this.connections.get(peer);
    if (previous && !previous.isClosed) {
      // One connection per peer. When both dialed at once (one connection each way), both
      // sides keep the one the lower peer id dialed; otherwise the newer one stays. The
      // other is retired: no new requests, closed once its requests in flight are answered.
      const local = this.options.localPeer;
      // Crossed: one connection each way, the older one made moments ago. An older link is
      // stale (the peer restarted, or the link is half-open): the new one stays.
      const crossed =
        local !== undefined &&
        previous.connection.outbound !== connection.outbound &&
        rpc.openedAt - previous.openedAt < CROSSED_DIAL_MS;
      const keepNew = !crossed || connection.outbound === local < peer;
      if (!keepNew) {
        rpc.retire();
        return previous;
      }
      previous.retire();
    }
    this.connections.delete(peer);
    this.connections.set(peer, rpc);
    rpc.onClose(() => {
      if (this.connections.get(peer) === rpc) this.connections.delete(peer);
    });
    while (this.connections.size > this.maxConnections) {
      const oldest = this.connections.values().next().value;
      if (!oldest || oldest === rpc) break;
      oldest.close();
      this.connections.delete(oldest.peer);
    }
    return rpc;
  }

  /**
   * The connection to `contact`, dialed if there is none; a dialed connection must prove
   * the contact's peer id.
   *
   * @throws DhtError 'closed' when stopped; what the dialer throws
   */
  async connection(contact: Contact, signal?: AbortSignal): Promise<RpcConnection> {
    if (this.stopped) throw new DhtError('closed', 'the DHT node is stopped');
    const open = this.connections.get(contact.peer);
    if (open && !open.isClosed) return open;
    const dialing = this.dialing.get(contact.peer);
    if (dialing) return dialing;
    const attempt = (async () => {
      const connection = await this.options.dial(contact, signal ? { signal } : {});
      if (connection.remotePeer !== contact.peer) {
        connection.close('local', 'another peer than the contact');
        throw new DhtError('malformed', 'the connection proves another peer than the contact');
      }
      return this.add(connection);
    })();
    this.dialing.set(contact.peer, attempt);
    try {
      return await attempt;
    } finally {
      this.dialing.delete(contact.peer);
    }
  }

  /**
   * Sends one request to `contact` and waits for its answer.
   *
   * @throws as {@link RpcConnection.request}, or what dialing throws
   */
  async request(
    contact: Contact,
    message: DhtMessage,
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<DhtMessage> {
    const rpc = await this.connection(contact, options.signal);
    return rpc.request(message, options);
  }

  async findNode(
    peer: Contact,
    target: NodeId,
    options: { readonly signal: AbortSignal },
  ): Promise<readonly Contact[]> {
    const answer = await this.request(
      peer,
      {
        type: MessageType.FindNode,
        requestId: 0,
        target,
        endpoints: this.options.endpoints ?? [],
      },
      options,
    );
    if (!('contacts' in answer)) throw new DhtError('malformed', 'not a NODES answer');
    return answer.contacts;
  }

  async ping(peer: Contact, options: { readonly signal: AbortSignal }): Promise<void> {
    await this.request(
      peer,
      { type: MessageType.Ping, requestId: 0, endpoints: this.options.endpoints ?? [] },
      options,
    );
  }

  /** Closes every connection; later requests fail as 'closed'. */
  close(): void {
    this.stopped = true;
    for (const rpc of [...this.connections.values()]) rpc.close();
    this.connections.clear();
  }
}
