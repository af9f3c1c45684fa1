/**
 * A client's link to its gateway (specs/mixnet-sphinx/SPEC.md §11.1): it submits packets (to
 * the gateway as their first hop, or a SURB reply to the first-layer mix the SURB names) and
 * fetches, then acknowledges, what waits in its queue. The queue is the one of the recipient
 * id SHA-256(the link's identity), so the id a sender puts in the recipient command is
 * `mixNodeId(identity)` of the client.
 */
import type { Carrier, Connection, ConnectionEncrypter } from '@hush/interface';
import type { MixDescriptor } from './directory.js';
import { SphinxError } from './errors.js';
import type { Geometry } from './geometry.js';
import {
  decodeMixFrame,
  dialDescriptor,
  encodeAck,
  encodeFetch,
  encodeSubmit,
  type QueuedMessage,
} from './link.js';

/** How a client reaches its gateway. */
export interface GatewayClientOptions {
  readonly carrier: Pick<Carrier, 'dial'>;
  /** A `hush-mix/1` encrypter with the client's identity (see `mixLinkEncrypter`). */
  readonly encrypter: Pick<ConnectionEncrypter, 'secureOutbound'>;
  readonly gateway: MixDescriptor;
  readonly geometry: Geometry;
  /** How long a FETCH may go unanswered (default 10 s). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** A client's open link to its gateway. */
export class GatewayClient {
  private readonly connection: Connection;
  private readonly geometry: Geometry;
  private readonly timeoutMs: number;
  private waiting: ((messages: QueuedMessage[] | Error) => void)[] = [];
  private closed: string | undefined;

  private constructor(connection: Connection, geometry: Geometry, timeoutMs: number) {
    this.connection = connection;
    this.geometry = geometry;
    this.timeoutMs = timeoutMs;
    connection.onFrame((frame) => {
      let decoded: ReturnType<typeof decodeMixFrame>;
      try {
        decoded = decodeMixFrame(frame, geometry.packetLength);
      } catch (error) {
        this.fail((error as Error).message);
        connection.close('error', 'a frame that does not parse');
        return;
      }
      if (decoded.type !== 'messages') {
        connection.close('error', `a client takes no ${decoded.type.toUpperCase()} frame`);
        return;
      }
      this.waiting.shift()?.([...decoded.messages]);
    });
    connection.onClose((reason, detail) =>
      this.fail(`the link closed (${reason}${detail ? `: ${detail}` : ''})`),
    );
  }

  private fail(why: string): void {
    this.closed ??= why;
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve(new SphinxError('gateway-failed', `gateway: ${why}`));
  }

  /**
   * Opens the link, trying the gateway's endpoints in turn.
   *
   * @example
   * ```ts
   * const client = await GatewayClient.connect({ carrier: webSocketCarrier(), encrypter, gateway, geometry });
   * client.submit(gateway.id, packet);
   * ```
   * @throws SphinxError 'gateway-failed' naming each endpoint's failure
   */
  static async connect(options: GatewayClientOptions): Promise<GatewayClient> {
    const connection = await dialDescriptor(
      options.carrier,
      options.encrypter,
      options.gateway,
      options.signal,
    );
    return new GatewayClient(connection, options.geometry, options.timeoutMs ?? 10_000);
  }

  /**
   * Hands a packet to the gateway for `firstHop` (the gateway's own id, or for a SURB reply
   * the first hop the SURB names).
   *
   * @throws RangeError for a packet not of the geometry's length; SphinxError
   *   'gateway-failed' when the link is closed
   */
  submit(firstHop: Uint8Array, packet: Uint8Array): void {
    if (packet.length !== this.geometry.packetLength)
      throw new RangeError(`packet must be ${this.geometry.packetLength} bytes`);
    if (this.closed) throw new SphinxError('gateway-failed', `gateway: ${this.closed}`);
    this.connection.send(encodeSubmit(firstHop, packet));
  }

  /**
   * Up to `most` messages of the client's queue, oldest first (they stay queued until
   * acknowledged).
   *
   * @throws SphinxError 'gateway-failed' when the link closes or no answer comes in time
   */
  fetch(most = 100): Promise<QueuedMessage[]> {
    if (this.closed)
      return Promise.reject(new SphinxError('gateway-failed', `gateway: ${this.closed}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.connection.close('error', 'no answer to FETCH');
      }, this.timeoutMs);
      this.waiting.push((answer) => {
        clearTimeout(timer);
        if (answer instanceof Error) reject(answer);
        else resolve(answer);
      });
      this.connection.send(encodeFetch(most));
    });
  }

  /**
   * Tells the gateway these messages arrived: it deletes them.
   *
   * @throws SphinxError 'gateway-failed' when the link is closed
   */
  acknowledge(messages: readonly Pick<QueuedMessage, 'seq'>[]): void {
    if (messages.length === 0) return;
    if (this.closed) throw new SphinxError('gateway-failed', `gateway: ${this.closed}`);
    for (let i = 0; i < messages.length; i += 1000)
      this.connection.send(encodeAck(messages.slice(i, i + 1000).map((m) => m.seq)));
  }

  /** Closes the link. */
  close(): void {
    this.connection.close('local');
  }
}
