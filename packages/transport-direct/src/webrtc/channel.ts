/**
 * The WebRTC raw channel (specs/transport-direct/SPEC.md §5.3): one ordered, reliable data
 * channel carrying messages of any size up to a limit, each cut into fragments the remote
 * side accepts. Every data channel message is one header byte (0 = more fragments follow,
 * 1 = the message's last fragment) and up to `fragment` bytes of the message.
 */
import type { RawChannel } from '@hush/interface';
import type { PlatformChannel } from './platform.js';

const MORE = 0;
const LAST = 1;
/** The largest fragment payload, whatever the remote side allows: 64 KiB − 1. */
const MAX_FRAGMENT = 64 * 1024 - 1;

/** The largest message a WebRTC channel carries by default: a Noise frame with room. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024 + 64 * 1024;

/**
 * A `RawChannel` over an open data channel: fragments what it sends, reassembles what it
 * receives, and closes (with the detail `message too large` or `bad fragment`) on a message
 * over `maxMessageBytes` or a fragment that breaks §5.3.
 *
 * @throws RangeError when `maxMessageBytes` is not a positive integer
 */
export function webRtcRawChannel(dc: PlatformChannel, maxMessageBytes: number): RawChannel {
  if (!Number.isInteger(maxMessageBytes) || maxMessageBytes < 1)
    throw new RangeError('maxMessageBytes: must be a positive integer');
  const fragment = Math.max(1, Math.min(MAX_FRAGMENT, dc.maxMessageSize - 1));
  let deliver: ((message: Uint8Array) => void) | undefined;
  const early: Uint8Array[] = [];
  let parts: Uint8Array[] = [];
  let partBytes = 0;
  let closed = false;
  let closeDetail: string | undefined;
  const closeHandlers: ((detail?: string) => void)[] = [];
  const end = (detail: string) => {
    if (closed) return;
    closed = true;
    closeDetail = detail;
    parts = [];
    dc.close();
    for (const handler of closeHandlers.splice(0)) handler(detail);
  };
  dc.onClose((detail) => end(detail));
  dc.onMessage((data) => {
    if (closed) return;
    if (data.length < 1 || (data[0] !== MORE && data[0] !== LAST)) {
      end('bad fragment');
      return;
    }
    partBytes += data.length - 1;
    if (partBytes > maxMessageBytes) {
      end('message too large');
      return;
    }
    parts.push(data.subarray(1).slice());
    if (data[0] === MORE) return;
    let message: Uint8Array;
    if (parts.length === 1) message = parts[0]!;
    else {
      message = new Uint8Array(partBytes);
      let offset = 0;
      for (const part of parts) {
        message.set(part, offset);
        offset += part.length;
      }
    }
    parts = [];
    partBytes = 0;
    if (deliver) deliver(message);
    else early.push(message);
  });
  return {
    remoteAddress: dc.remoteAddress,
    send(message) {
      if (message.length > maxMessageBytes)
        throw new RangeError(`message: ${message.length} bytes, at most ${maxMessageBytes}`);
      if (closed) return;
      let offset = 0;
      do {
        const end = Math.min(message.length, offset + fragment);
        const out = new Uint8Array(1 + end - offset);
        out[0] = end === message.length ? LAST : MORE;
        out.set(message.subarray(offset, end), 1);
        dc.send(out);
        offset = end;
      } while (offset < message.length);
    },
    bufferedAmount: () => dc.bufferedAmount(),
    onMessage(handler) {
      deliver = handler;
      for (const message of early.splice(0)) handler(message);
    },
    onClose(handler) {
      if (closed) handler(closeDetail);
      else closeHandlers.push(handler);
    },
    close() {
      end('local');
    },
  };
}
