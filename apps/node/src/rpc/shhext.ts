/**
 * `shhext_requestMessages` (after status-go's shhext API): asks a mailserver peer for history.
 * The request is encrypted with the mailserver's key (symKeyID), signed with this node's key,
 * and sent as a p2pRequest; the mailserver becomes trusted, so its p2p messages flow into the
 * filters that allow p2p messages (allowP2P), like any delivered envelope.
 * `shhext_requestMessagesSync` sends the same request and waits for the mailserver's
 * p2pRequestComplete, answering with the cursor of the next page (specs/mailserver §6).
 */
import type { CryptoBackend } from '@hush/crypto';
import { envelopeHash } from '@hush/envelope';
import {
  CURSOR_LENGTH,
  createHistoryRequest,
  decodeRequestComplete,
  historyBloom,
  mailserverPeerId,
  type RequestCompletion,
} from '@hush/mailserver';
import type { KeyStore } from '@hush/message';
import type { EngineEvents, GossipNode } from '@hush/transport-gossip';
import { type Method, RpcError } from './jsonrpc.js';
import { arg, hexBytes, object, string, toHex, topic, uint32 } from './params.js';

const refused = (message: string) => new RpcError(-32000, message);

/** The shhext_* methods. */
export function shhextMethods(services: {
  gossip: GossipNode;
  keys: KeyStore;
  backend: CryptoBackend;
  nodeKey: Uint8Array;
}): Record<string, Method> {
  /** Builds and sends a request; resolves to its hash (the request id). */
  const send = async (params: unknown[]): Promise<Uint8Array> => {
    const r = object(arg(params, 0), 0);
    const peer = string(r.mailServerPeer, 0, 'mailServerPeer');
    const peerId = mailserverPeerId(peer);
    if (!peerId) throw new RpcError(-32602, 'invalid argument 0: mailServerPeer');
    const symKey = await services.keys.get('symKey', string(r.symKeyID, 0, 'symKeyID'));
    if (!symKey) throw refused('non-existent key ID');
    const now = Math.floor(Date.now() / 1000);
    const to = r.to === undefined ? now : uint32(r.to, 0, 'to');
    const from = r.from === undefined ? Math.max(0, to - 24 * 3600) : uint32(r.from, 0, 'from');
    const limit = r.limit === undefined ? 1000 : uint32(r.limit, 0, 'limit');
    if (r.topics !== undefined && (!Array.isArray(r.topics) || r.topics.length > 1000))
      throw new RpcError(-32602, 'invalid argument 0: topics');
    const topics = ((r.topics as unknown[] | undefined) ?? []).map((t, i) =>
      topic(t, 0, `topics[${i}]`),
    );
    const bloom = historyBloom(topics);
    const cursor =
      r.cursor === undefined || r.cursor === '' || r.cursor === null
        ? new Uint8Array(0)
        : hexBytes(r.cursor, 0, 'cursor');
    if (cursor.length !== 0 && cursor.length !== CURSOR_LENGTH)
      throw new RpcError(-32602, `invalid argument 0: cursor (empty or ${CURSOR_LENGTH} bytes)`);
    const request = await createHistoryRequest({
      request: { lower: from, upper: to, bloom, limit, cursor, topics },
      symKey,
      signingKey: services.nodeKey,
      backend: services.backend,
    });
    services.gossip.markTrusted(peerId);
    if (!services.gossip.engine.sendRequest(peerId, request))
      throw refused('mailserver peer is not connected');
    return envelopeHash(request);
  };

  return {
    shhext_requestMessages: async (params) => toHex(await send(params)),

    shhext_requestMessagesSync: async (params) => {
      const options = params.length > 1 ? object(params[1], 1) : {};
      const timeout = options.timeout === undefined ? 10 : uint32(options.timeout, 1, 'timeout');
      if (timeout < 1 || timeout > 300)
        throw new RpcError(-32602, 'invalid argument 1: timeout (1 to 300 seconds)');
      const engine = services.gossip.engine;
      // Listen before sending: a fast mailserver may answer before send() returns.
      const answers: RequestCompletion[] = [];
      const collect = ({ payload }: EngineEvents['p2p:complete']) => {
        try {
          answers.push(decodeRequestComplete(payload));
        } catch {
          // too short for either form: not an answer to anything
        }
      };
      const stopCollecting = engine.on('p2p:complete', collect);
      try {
        const id = toHex(await send(params));
        const answer = await new Promise<RequestCompletion | undefined>((resolve) => {
          let stopChecking = () => {};
          const timer = setTimeout(() => {
            stopChecking();
            resolve(undefined);
          }, timeout * 1000);
          const check = () => {
            const found = answers.find((a) => toHex(a.requestId) === id);
            if (!found) return;
            clearTimeout(timer);
            stopChecking();
            resolve(found);
          };
          stopChecking = engine.on('p2p:complete', check);
          check();
        });
        if (!answer) throw refused(`mailserver did not answer within ${timeout} s`);
        return {
          requestId: id,
          lastEnvelopeHash: toHex(answer.lastEnvelopeHash),
          cursor: toHex(answer.cursor),
          error: answer.error ?? '',
        };
      } finally {
        stopCollecting();
      }
    },
  };
}
