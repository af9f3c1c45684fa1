/**
 * An in-memory network for routing (tests, the simulation): every request and answer is
 * encoded and decoded with the wire codec (SPEC §3) and delivered after a latency on the
 * injected clock, with optional loss; the sender's peer id is the one it was attached with,
 * as an authenticated link would prove it. Handlers decide what a node answers, so an
 * adversarial node is a handler that drops, misroutes or answers garbage.
 */
import type { Clock, PeerId } from '@hush/interface';
import { DhtError } from '../errors.js';
import { type DhtMessage, decodeMessage, encodeMessage, MessageType } from '../wire.js';
import type { Contact } from './contact.js';
import type { NodeId } from './id.js';
import type { DhtRouter, DhtRpc } from './router.js';

/** What a node does with requests. */
export interface DhtHandler {
  /**
   * Answers a FIND_NODE: contacts (encoded as NODES), raw bytes sent as they are (garbage),
   * or undefined to drop it.
   *
   * @throws DhtError 'quota' to refuse it (an ERROR goes back)
   */
  findNode(
    from: PeerId,
    target: NodeId,
    endpoints: readonly string[],
  ): readonly Contact[] | Uint8Array | undefined;
  /** Answers a PING: true for a PONG, false to drop it. @throws DhtError 'quota' */
  ping(from: PeerId, endpoints: readonly string[]): boolean;
}

/** The honest handler of a router. */
export function routerHandler(router: DhtRouter): DhtHandler {
  return {
    findNode: (from, target, endpoints) => router.handleFindNode(from, target, endpoints),
    ping: (from, endpoints) => {
      router.handlePing(from, endpoints);
      return true;
    },
  };
}

/** How the network behaves. */
export interface MemoryDhtNetworkOptions {
  readonly clock: Clock;
  /** One-way latency (ms) of a message from one peer to another (default 0: next microtask). */
  readonly latencyMs?: number | ((from: PeerId, to: PeerId) => number);
  /** Share of messages lost (default 0). */
  readonly loss?: number;
  /** Random numbers in [0, 1) for loss (default Math.random). */
  readonly random?: () => number;
}

/** Peers that reach each other by peer id. */
export class MemoryDhtNetwork {
  private readonly clock: Clock;
  private readonly latency: (from: PeerId, to: PeerId) => number;
  private readonly loss: number;
  private readonly random: () => number;
  private readonly handlers = new Map<PeerId, DhtHandler>();
  private nextRequestId = 1;
  /** Messages and bytes delivered. */
  messages = 0;
  bytes = 0;

  constructor(options: MemoryDhtNetworkOptions) {
    this.clock = options.clock;
    const latency = options.latencyMs ?? 0;
    this.latency = typeof latency === 'number' ? () => latency : latency;
    this.loss = options.loss ?? 0;
    this.random = options.random ?? Math.random;
  }

  /** Puts a node on the network (replacing its handler if it was). */
  attach(peer: PeerId, handler: DhtHandler): void {
    this.handlers.set(peer, handler);
  }

  /** Takes a node off: requests to it go unanswered. */
  detach(peer: PeerId): void {
    this.handlers.delete(peer);
  }

  /** Whether a node is on the network. */
  has(peer: PeerId): boolean {
    return this.handlers.has(peer);
  }

  private deliver(from: PeerId, to: PeerId, bytes: Uint8Array, then: (b: Uint8Array) => void) {
    if (this.loss > 0 && this.random() < this.loss) return;
    this.messages++;
    this.bytes += bytes.length;
    const ms = this.latency(from, to);
    if (ms <= 0) queueMicrotask(() => then(bytes));
    else this.clock.setTimeout(() => then(bytes), ms);
  }

  /** The RPC of `from`, which announces `endpoints` in its requests. */
  rpc(from: PeerId, endpoints: readonly string[] = []): DhtRpc {
    const request = (to: Contact, message: DhtMessage, signal: AbortSignal) =>
      new Promise<DhtMessage>((resolve, reject) => {
        signal.throwIfAborted();
        const onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        const requestId = message.requestId;
        this.deliver(from, to.peer, encodeMessage(message), (bytes) => {
          const handler = this.handlers.get(to.peer);
          if (!handler) return; // nobody there: the request times out
          let reply: Uint8Array | undefined;
          try {
            reply = serve(handler, from, decodeMessage(bytes));
          } catch (error) {
            if (error instanceof DhtError && error.code !== 'malformed')
              reply = encodeMessage({ type: MessageType.Error, requestId, code: error.code });
          }
          if (!reply) return;
          this.deliver(to.peer, from, reply, (answer) => {
            signal.removeEventListener('abort', onAbort);
            if (signal.aborted) return;
            try {
              const decoded = decodeMessage(answer);
              if (decoded.requestId !== requestId)
                throw new DhtError('malformed', 'an answer to another request');
              resolve(decoded);
            } catch (error) {
              reject(error);
            }
          });
        });
      });
    return {
      findNode: async (peer, target, { signal }) => {
        const requestId = this.requestId();
        const answer = await request(
          peer,
          { type: MessageType.FindNode, requestId, target, endpoints },
          signal,
        );
        if (answer.type === MessageType.Error && 'code' in answer)
          throw new DhtError(answer.code, `FIND_NODE refused: ${answer.code}`);
        if (answer.type !== MessageType.Nodes || !('contacts' in answer))
          throw new DhtError('malformed', `type ${answer.type} in answer to FIND_NODE`);
        return answer.contacts;
      },
      ping: async (peer, { signal }) => {
        const requestId = this.requestId();
        const answer = await request(
          peer,
          { type: MessageType.Ping, requestId, endpoints },
          signal,
        );
        if (answer.type === MessageType.Error && 'code' in answer)
          throw new DhtError(answer.code, `PING refused: ${answer.code}`);
        if (answer.type !== MessageType.Pong)
          throw new DhtError('malformed', `type ${answer.type} in answer to PING`);
      },
    };
  }

  private requestId(): number {
    const id = this.nextRequestId;
    this.nextRequestId = id >= 0xffff_ffff ? 1 : id + 1;
    return id;
  }
}

function serve(handler: DhtHandler, from: PeerId, message: DhtMessage): Uint8Array | undefined {
  const { requestId } = message;
  if (message.type === MessageType.FindNode && 'target' in message) {
    const answer = handler.findNode(from, message.target, message.endpoints);
    if (answer === undefined) return undefined;
    if (answer instanceof Uint8Array) return answer;
    return encodeMessage({ type: MessageType.Nodes, requestId, contacts: answer });
  }
  if (message.type === MessageType.Ping && 'endpoints' in message)
    return handler.ping(from, message.endpoints)
      ? encodeMessage({ type: MessageType.Pong, requestId })
      : undefined;
  return undefined;
}

/**
 * Waits for `promise` while moving `clock` on by `stepMs` whenever nothing else is left to
 * run: a lookup over the memory network finishes in virtual time.
 *
 * @param maxSteps - steps after which it gives up (default 100,000)
 * @throws Error after `maxSteps`
 */
export async function runOnClock<T>(
  clock: { advance(ms: number): void },
  promise: Promise<T>,
  stepMs = 10,
  maxSteps = 100_000,
): Promise<T> {
  let done = false;
  const watched = promise.finally(() => {
    done = true;
  });
  watched.catch(() => {});
  for (let i = 0; i < maxSteps && !done; i++) {
    await yieldToTasks();
    if (!done) clock.advance(stepMs);
  }
  if (!done) throw new Error(`runOnClock: not settled after ${maxSteps} steps`);
  return watched;
}

const yieldToTasks: () => Promise<void> =
  typeof setImmediate === 'function'
    ? () => new Promise((resolve) => setImmediate(resolve))
    : () => new Promise((resolve) => setTimeout(resolve, 0));
