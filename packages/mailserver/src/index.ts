/**
 * @hush/mailserver: both sides of the Whisper mailserver protocol (specs/mailserver; Status's
 * 4/WHISPER-MAILSERVER): the history request codec and the request envelope a client sends,
 * the archive (an `Inbox` of `@hush/interface` over any `Store`) with its pages and cursors,
 * the p2pRequest handler a mailserver gives its transport, and the p2pRequestComplete body it
 * encodes and a client decodes. Transport-neutral: the gossip engine carries the bodies opaque.
 *
 * @example
 * ```ts
 * import { Archive, decodeRequestComplete, mailserverHandler } from '@hush/mailserver';
 * const archive = new Archive(store);
 * const onP2PRequest = mailserverHandler({ archive, symKey });
 * engine.on('p2p:complete', ({ payload }) => console.log(decodeRequestComplete(payload).cursor));
 * ```
 *
 * @packageDocumentation
 */
export { Archive, type ArchivePage, type TopicSelection } from './archive.js';
export {
  decodeRequestComplete,
  encodeRequestComplete,
  encodeRequestFailed,
  type RequestCompletion,
} from './completion.js';
export { MailserverError, type MailserverErrorCode } from './errors.js';
export {
  type MailserverOptions,
  type MailserverPeer,
  type MailserverRequestHandler,
  mailserverHandler,
} from './handler.js';
export { historyBloom, mailserverPeerId } from './peer.js';
export {
  type CreateHistoryRequestOptions,
  CURSOR_LENGTH,
  createHistoryRequest,
  decodeHistoryRequest,
  encodeHistoryRequest,
  type HistoryRequest,
  MAX_REQUEST_TOPICS,
} from './request.js';
