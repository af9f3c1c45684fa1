/**
 * The relay's client side (specs/transport-direct/SPEC.md §6.2): dials the relay, joins with
 * the rendezvous token, waits for `paired`, and from then on is a `RawChannel` to the other
 * contact through the relay.
 */
import { webSocketCarrier } from '@hush/carrier-websocket';
import {
  type AbortOptions,
  type Carrier,
  type Clock,
  type RawChannel,
  systemClock,
} from '@hush/interface';
import { DirectError } from '../errors.js';
import { decodeAnswer, encodeJoin, TOKEN_BYTES } from './protocol.js';

/** Options of a relay client. */
export interface RelayChannelOptions extends AbortOptions {
  /** What dials the relay (default: a WebSocket carrier). */
  readonly carrier?: Carrier;
  /** Longest wait for the other contact to join (default 30 s, the relay's own default). */
  readonly pairTimeoutMs?: number;
  readonly clock?: Clock;
}

/**
 * A channel to the contact through a relay: both contacts call it with the same endpoint and
 * token, and each gets the other.
 *
 * @throws RangeError when `token` is not 32 bytes
 * @throws DirectError 'relay-failed' when the relay cannot be reached, closes, or the pair is
 *   not made in time; 'relay-refused' with the relay's reason; 'closed' when aborted
 * @example
 * ```ts
 * const channel = await relayChannel('ws://relay.example:8443/hush-relay/1', token);
 * const connection = await encrypter.secureOutbound(channel, { remoteStaticKey });
 * ```
 */
export async function relayChannel(
  endpoint: string,
  token: Uint8Array,
  options: RelayChannelOptions = {},
): Promise<RawChannel> {
  if (!(token instanceof Uint8Array) || token.length !== TOKEN_BYTES)
    throw new RangeError(`token: must be ${TOKEN_BYTES} bytes`);
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.pairTimeoutMs ?? 30_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1)
    throw new RangeError('pairTimeoutMs: must be a positive integer');
  const carrier = options.carrier ?? webSocketCarrier({ limits: { idleTimeoutMs: 0 } });
  let raw: RawChannel;
  try {
    raw = await carrier.dial(endpoint, options.signal ? { signal: options.signal } : {});
  } catch (error) {
    if (options.signal?.aborted)
      throw new DirectError('closed', 'relay join aborted', { cause: error });
    throw new DirectError('relay-failed', `cannot reach the relay at ${endpoint}`, {
      cause: error,
    });
  }
  return new Promise<RawChannel>((resolve, reject) => {
    let paired = false;
    let settled = false;
    let deliver: ((message: Uint8Array) => void) | undefined;
    const early: Uint8Array[] = [];
    const closeHandlers: ((detail?: string) => void)[] = [];
    let closedDetail: string | undefined;
    let closed = false;
    const fail = (error: DirectError) => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      options.signal?.removeEventListener('abort', abort);
      raw.close();
      reject(error);
    };
    const timer = clock.setTimeout(
      () => fail(new DirectError('relay-failed', `not paired within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const abort = () => fail(new DirectError('closed', 'relay join aborted'));
    options.signal?.addEventListener('abort', abort, { once: true });
    raw.onClose((detail) => {
      closed = true;
      closedDetail = detail;
      if (!paired) fail(new DirectError('relay-failed', `the relay closed (${detail ?? ''})`));
      else for (const handler of closeHandlers.splice(0)) handler(detail);
    });
    raw.onMessage((message) => {
      if (paired) {
        if (deliver) deliver(message);
        else early.push(message);
        return;
      }
      if (settled) return;
      const answer = decodeAnswer(message);
      if (!answer) {
        fail(new DirectError('relay-failed', 'the relay answered with something else'));
        return;
      }
      if (!answer.paired) {
        fail(new DirectError('relay-refused', `the relay refused: ${answer.reason}`));
        return;
      }
      paired = true;
      settled = true;
      clock.clearTimeout(timer);
      options.signal?.removeEventListener('abort', abort);
      const channel: RawChannel = {
        remoteAddress: `relay:${endpoint}`,
        send: (bytes) => raw.send(bytes),
        bufferedAmount: () => raw.bufferedAmount(),
        onMessage(handler) {
          deliver = handler;
          for (const queued of early.splice(0)) handler(queued);
        },
        onClose(handler) {
          if (closed) handler(closedDetail);
          else closeHandlers.push(handler);
        },
        close: () => raw.close(),
      };
      const activity = raw.onActivity?.bind(raw);
      resolve(activity ? { ...channel, onActivity: activity } : channel);
    });
    raw.send(encodeJoin(token));
  });
}
