/**
 * An in-memory pair of raw channels with a wire tap, for the suites that need an on-path
 * party: the tap sees every message and returns what is delivered instead.
 */
import type { RawChannel } from '@hush/interface';

/** One message on a pipe: `fromA` says which end sent it. */
export interface PipeMessage {
  readonly fromA: boolean;
  /** Its index among the messages that end sent. */
  readonly index: number;
  readonly bytes: Uint8Array;
}

/**
 * Decides what is delivered for each message: `[bytes]` passes it, `[]` drops it, and an
 * item `{ back: bytes }` delivers bytes to the sender's own end (a reflection).
 */
export type PipeTap = (message: PipeMessage) => readonly (Uint8Array | { back: Uint8Array })[];

interface End {
  handler: ((message: Uint8Array) => void) | undefined;
  early: Uint8Array[];
  closeHandlers: ((detail?: string) => void)[];
  closed: boolean;
  sent: number;
}

/**
 * Two connected raw channels; messages are delivered in order on the microtask queue.
 *
 * @example
 * ```ts
 * const [a, b] = rawChannelPair(({ bytes }) => [bytes]);
 * ```
 */
export function rawChannelPair(tap: PipeTap = ({ bytes }) => [bytes]): [RawChannel, RawChannel] {
  const end = (): End => ({
    handler: undefined,
    early: [],
    closeHandlers: [],
    closed: false,
    sent: 0,
  });
  const ends: [End, End] = [end(), end()];
  const channel = (self: End, other: End, fromA: boolean): RawChannel => ({
    remoteAddress: fromA ? 'pipe:b' : 'pipe:a',
    send(message) {
      if (self.closed) return;
      const bytes = message.slice();
      const index = self.sent++;
      queueMicrotask(() => {
        for (const delivered of tap({ fromA, index, bytes })) {
          const [to, message] =
            delivered instanceof Uint8Array ? [other, delivered] : [self, delivered.back];
          if (to.closed) continue;
          if (to.handler) to.handler(message);
          else to.early.push(message);
        }
      });
    },
    bufferedAmount: () => 0,
    onMessage(handler) {
      self.handler = handler;
      for (const message of self.early.splice(0)) handler(message);
    },
    onClose(handler) {
      self.closeHandlers.push(handler);
    },
    close() {
      if (self.closed) return;
      self.closed = true;
      queueMicrotask(() => {
        if (other.closed) return;
        other.closed = true;
        for (const handler of other.closeHandlers) handler('closed by the other end');
      });
    },
  });
  return [channel(ends[0], ends[1], true), channel(ends[1], ends[0], false)];
}
