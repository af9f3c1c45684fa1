/**
 * What runs while the page is unlocked besides gossip (specs/web/SPEC.md §7): the DHT inbox
 * (publish ours, deposit to contacts', drain and delete what waited for us) and the
 * mailserver's history of our topics, each with progress shown, each optional: a node that
 * offers neither is said to, and the page works without them.
 */
import { decodeEnvelope, type Envelope, encodeEnvelope, envelopeHash } from '@hush/envelope';
import { openAsymmetric } from '@hush/message';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { HushApp, UnlockHooks } from './app.js';
import { INBOX_WRAP_TOPIC } from './channels.js';
import type { WebConfig } from './config.js';
import { requestHistory } from './mailserver-history.js';
import { PageInbox, sealForInbox } from './offline-inbox.js';
import type { PagePeer } from './peer.js';

/** How far back history is asked for on unlock: the mailserver's own window decides the rest. */
export const HISTORY_WINDOW_S = 2 * 86_400;

function message(error: unknown): string {
  return (error as Error)?.message ?? String(error);
}

/** The unlock hooks of the inbox and the mailserver. */
export function offlineServices(config: WebConfig): UnlockHooks {
  let inbox: PageInbox | undefined;
  let app: HushApp | undefined;
  let peer: PagePeer | undefined;
  let history: Promise<void> = Promise.resolve();

  /** Opens a drained deposit and hands the 1:1 envelope inside to the filters. */
  const unwrap = (outer: Envelope): boolean => {
    if (!inbox || !peer) return false;
    try {
      const opened = openAsymmetric(outer, inbox.encryptionKey.privateKey);
      const inner = decodeEnvelope(opened.payload);
      peer.deliver(inner, envelopeHash(inner), 'inbox');
      return true;
    } catch {
      return false; // not sealed to our inbox, or not an envelope: dropped
    }
  };

  const fetchHistory = (topics: Uint8Array[]) => {
    const mailserver = config.mailserver;
    if (!mailserver) {
      app?.offlineProgress({
        source: 'mailserver',
        phase: 'unavailable',
        received: 0,
        detail: 'this node keeps no history (start it with --mailserver)',
      });
      return;
    }
    const gossip = peer!.gossip;
    // One request at a time: the mailserver answers one per peer.
    history = history.then(async () => {
      let received = 0;
      app?.offlineProgress({ source: 'mailserver', phase: 'running', received });
      try {
        const result = await requestHistory({
          gossip,
          mailserverPeer: mailserver.peer,
          password: mailserver.password,
          topics,
          from: Math.floor(Date.now() / 1000) - HISTORY_WINDOW_S,
          onProgress: (p) => {
            received = p.envelopes;
            app?.offlineProgress({
              source: 'mailserver',
              phase: 'running',
              received,
              detail: `${p.pages} pages`,
            });
          },
        });
        app?.offlineProgress({
          source: 'mailserver',
          phase: 'done',
          received: result.envelopes,
          detail: `${result.pages} pages`,
        });
      } catch (error) {
        app?.offlineProgress({
          source: 'mailserver',
          phase: 'failed',
          received,
          detail: message(error),
        });
      }
    });
  };

  return {
    async unlocked(context) {
      app = context.app;
      peer = context.peer;
      fetchHistory(context.topics);
      if (!config.dht) {
        app.offlineProgress({
          source: 'inbox',
          phase: 'unavailable',
          received: 0,
          detail: 'this node runs no DHT',
        });
        return;
      }
      const pageInbox = new PageInbox({
        bootstrap: config.dht,
        inboxSecret: context.inboxSecret,
        minPow: config.minPow,
        maxMessageSize: config.maxMessageSize,
      });
      inbox = pageInbox;
      void (async () => {
        let received = 0;
        app?.offlineProgress({ source: 'inbox', phase: 'running', received });
        try {
          await pageInbox.start();
          const drained = await pageInbox.drain({
            deliver: (r) => {
              if (unwrap(r.envelope)) received++;
            },
            onProgress: (p) =>
              app?.offlineProgress({
                source: 'inbox',
                phase: 'running',
                received,
                detail: `${p.pages} pages`,
              }),
          });
          app?.offlineProgress({
            source: 'inbox',
            phase: 'done',
            received,
            detail: `${drained.deleted} deleted from holders`,
          });
          await pageInbox.publish();
        } catch (error) {
          app?.offlineProgress({
            source: 'inbox',
            phase: 'failed',
            received,
            detail: message(error),
          });
        }
      })();
    },
    async locked() {
      const closing = inbox;
      inbox = undefined;
      peer = undefined;
      app = undefined;
      await closing?.stop().catch(() => {});
    },
    async joined(topic) {
      if (peer) fetchHistory([topic]);
    },
    async card() {
      return inbox ? { inbox: bytesToHex(inbox.inboxPublicKey) } : undefined;
    },
    async deposit(inboxKey, envelope) {
      if (!inbox) return 0;
      const inner = encodeEnvelope(envelope);
      const result = await inbox.deposit(inboxKey, (descriptor) =>
        sealForInbox(descriptor, { topic: INBOX_WRAP_TOPIC, payload: inner }),
      );
      return result.accepted;
    },
  };
}
