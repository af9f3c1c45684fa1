/**
 * Two connected in-memory raw channels (the `RawChannel` of @hush/interface), for the
 * in-process cases of specs/transport-direct §3 (the channel's link) and §6 (the relay):
 * messages are delivered in order on the microtask queue, and closing one end tells the
 * other. The adapter needs no sockets; what a case reads is what the package sent.
 */
import type { RawChannel } from '@hush/interface';

interface End {
  handler: ((message: Uint8Array) => void) | undefined;
  early: Uint8Array[];
  closeHandlers: ((detail?: string) => void)[];
  closed: boolean;
}

/**
 * A pair of connected raw channels.
 *
 * @throws nothing
 */
export function memoryChannelPair(): [RawChannel, RawChannel] {
  const end = (): End => ({ handler: undefined, early: [], closeHandlers: [], closed: false });
  const ends: [End, End] = [end(), end()];
  const channel = (self: End, other: End, name: string): RawChannel => ({
    remoteAddress: `memory:${name}`,
    send(message) {
      if (self.closed) return;
      const bytes = message.slice();
      queueMicrotask(() => {
        if (other.closed) return;
        if (other.handler) other.handler(bytes);
        else other.early.push(bytes);
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
  return [channel(ends[0], ends[1], 'b'), channel(ends[1], ends[0], 'a')];
}

/**
 * One end of a pair as a client sees it: every message it received and whether (and why) it
 * was closed.
 */
export interface RecordingEnd {
  readonly channel: RawChannel;
  readonly received: Uint8Array[];
  /** The close detail once the other end closed it. */
  closed: string | undefined;
}

/**
 * Records what arrives at `channel` and when it closes.
 *
 * @throws nothing
 */
export function recording(channel: RawChannel): RecordingEnd {
  const end: RecordingEnd = { channel, received: [], closed: undefined };
  channel.onMessage((message) => end.received.push(message));
  channel.onClose((detail) => {
    end.closed = detail ?? 'closed';
  });
  return end;
}

/**
 * Lets queued deliveries run (a few rounds of the microtask and timer queues).
 *
 * @throws nothing
 */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
