/**
 * What runs while the page is unlocked besides gossip (specs/web/SPEC.md §7): the DHT inbox
 * (publish ours, deposit to contacts', drain and delete what waited for us) and the
 * mailserver's history of our topics, each with progress shown, each optional: a node that
 * offers neither is said to, and the page works without them.
 *
 * Each unlock is a session of its own: its inbox, its peer and its app are held by the
 * session's closures, never by state a later lock or unlock changes, and its work stops when
 * the session's signal (aborted on lock) fires: from then on nothing more is delivered,
 * nothing more is deleted at the holders, nothing is deposited and nothing is reported.
 */
import { decodeEnvelope, type Envelope, encodeEnvelope, envelopeHash } from '@hush/envelope';
import { openAsymmetric } from '@hush/message';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { OfflineProgress, UnlockContext, UnlockHooks } from './app.js';
import { INBOX_WRAP_TOPIC, passwordKey } from './channels.js';
import type { WebConfig } from './config.js';
import { errorText } from './errors.js';
import { requestHistory } from './mailserver-history.js';
import { PageInbox, sealForInbox } from './offline-inbox.js';

/** How far back history is asked for on unlock: the mailserver's own window decides the rest. */
export const HISTORY_WINDOW_S = 2 * 86_400;

/**
 * The most PoW the page spends on one deposit: ten times the node's `minPow`, at least 4. A
 * contact's descriptor asking for more is refused (PageInboxError 'too-costly'): its minPow
 * is the contact's (or a forger's) to choose, and the PoW is proportional to 2^pow.
 */
export function maxDepositPow(minPow: number): number {
  return Math.max(4, 10 * minPow);
}

/** One unlock's offline work. */
interface Session {
  /** The app's signal and the session's own (aborted by `close`), as one. */
  readonly signal: AbortSignal;
  /** The session's inbox, when the node runs a DHT. */
  readonly inbox: PageInbox | undefined;
  fetchHistory(topics: Uint8Array[]): void;
  deposit(inboxKey: Uint8Array, envelope: Envelope): Promise<number>;
  /** Aborts the session, stops its inbox, waits for its work to end. @throws nothing */
  close(): Promise<void>;
}

/** The unlock hooks of the inbox and the mailserver. */
export function offlineServices(config: WebConfig): UnlockHooks {
  /** Sessions not closed yet (normally one; a lock and a quick unlock may overlap). */
  const sessions = new Set<Session>();
  /** The latest session: the one `joined`, `card` and `deposit` act for. */
  let current: Session | undefined;

  return {
    async unlocked(context) {
      const session = openSession(config, context);
      sessions.add(session);
      current = session;
    },
    /**
     * Closes the sessions whose signal was aborted (the app aborts it on lock, before this
     * is called), or every session when none was.
     */
    async locked() {
      const aborted = [...sessions].filter((s) => s.signal.aborted);
      const closing = aborted.length > 0 ? aborted : [...sessions];
      for (const session of closing) sessions.delete(session);
      if (current && closing.includes(current)) current = undefined;
      await Promise.all(closing.map((s) => s.close()));
    },
    async joined(topic) {
      if (current && !current.signal.aborted) current.fetchHistory([topic]);
    },
    async card() {
      const inbox = current && !current.signal.aborted ? current.inbox : undefined;
      return inbox ? { inbox: bytesToHex(inbox.inboxPublicKey) } : undefined;
    },
    async deposit(inboxKey, envelope) {
      // No signal parameter here: the session's own stops it.
      return current ? current.deposit(inboxKey, envelope) : 0;
    },
  };
}

/** Starts one unlock's inbox drain, publication and history; nothing of it outlives `signal`. */
function openSession(config: WebConfig, context: UnlockContext): Session {
  const { app, peer } = context;
  const own = new AbortController();
  const signal = AbortSignal.any([context.signal, own.signal]);
  /** Reports to the app, never after the session ended. */
  const report = (progress: OfflineProgress) => {
    if (!signal.aborted) app.offlineProgress(progress);
  };

  // The mailserver's key, once per session: WebCrypto's PBKDF2, off the main thread's JS.
  const mailserver = config.mailserver;
  const symKey = mailserver ? passwordKey(mailserver.password) : undefined;
  symKey?.catch(() => undefined); // reported by the request that needs it
  let history: Promise<void> = Promise.resolve();
  const fetchHistory = (topics: Uint8Array[]) => {
    if (signal.aborted) return;
    if (!mailserver || !symKey) {
      report({
        source: 'mailserver',
        phase: 'unavailable',
        received: 0,
        detail: 'this node keeps no history (start it with --mailserver)',
      });
      return;
    }
    // One request at a time: the mailserver answers one per peer.
    history = history.then(async () => {
      if (signal.aborted) return;
      let received = 0;
      report({ source: 'mailserver', phase: 'running', received });
      try {
        const result = await requestHistory({
          gossip: peer.gossip,
          mailserverPeer: mailserver.peer,
          symKey: await symKey,
          topics,
          from: Math.floor(Date.now() / 1000) - HISTORY_WINDOW_S,
          signal,
          onProgress: (p) => {
            received = p.envelopes;
            report({
              source: 'mailserver',
              phase: 'running',
              received,
              detail: `${p.pages} pages`,
            });
          },
        });
        report({
          source: 'mailserver',
          phase: 'done',
          received: result.envelopes,
          detail: `${result.pages} pages`,
        });
      } catch (error) {
        // 'too-many-pages' too: shown as failed, with what came so far.
        report({ source: 'mailserver', phase: 'failed', received, detail: errorText(error) });
      }
    });
  };

  fetchHistory(context.topics);

  let inbox: PageInbox | undefined;
  let work: Promise<void> = Promise.resolve();
  let joining: Promise<void> = Promise.resolve();
  if (!config.dht) {
    report({ source: 'inbox', phase: 'unavailable', received: 0, detail: 'this node runs no DHT' });
  } else {
    try {
      inbox = new PageInbox({
        bootstrap: config.dht,
        inboxSecret: context.inboxSecret,
        minPow: config.minPow,
        maxMessageSize: config.maxMessageSize,
      });
    } catch (error) {
      report({ source: 'inbox', phase: 'failed', received: 0, detail: errorText(error) });
    }
  }
  if (inbox) {
    const pageInbox = inbox;
    // Lock stops the inbox at once: its links close, whatever is in flight rejects.
    if (signal.aborted) void pageInbox.stop();
    else signal.addEventListener('abort', () => void pageInbox.stop(), { once: true });
    joining = pageInbox.start();
    joining.catch(() => undefined); // reported below
    work = drainThenPublish(pageInbox);
  }

  /** Opens a drained deposit and hands the 1:1 envelope inside to the filters. */
  /**
   * Opens a deposit and hands the 1:1 envelope inside to the page; resolves once the page has
   * kept it (its history written), so the drain deletes only what is kept.
   */
  async function unwrap(pageInbox: PageInbox, outer: Envelope): Promise<boolean> {
    if (signal.aborted) return false;
    let inner: Envelope;
    try {
      const opened = openAsymmetric(outer, pageInbox.encryptionKey.privateKey);
      inner = decodeEnvelope(opened.payload);
    } catch {
      return false; // not sealed to our inbox, or not an envelope: dropped (and deleted)
    }
    // Not caught: when the page cannot take it, the drain fails and the page stays held.
    await peer.deliver(inner, envelopeHash(inner), 'inbox');
    return true;
  }

  /** The drain, then the publication, which runs whether or not the drain worked. */
  async function drainThenPublish(pageInbox: PageInbox): Promise<void> {
    let received = 0;
    report({ source: 'inbox', phase: 'running', received });
    try {
      await joining;
    } catch (error) {
      report({ source: 'inbox', phase: 'failed', received, detail: errorText(error) });
      return;
    }
    let drainFailure: string | undefined;
    try {
      const drained = await pageInbox.drain({
        signal,
        deliver: async (r) => {
          if (await unwrap(pageInbox, r.envelope)) received++;
        },
        onProgress: (p) =>
          report({ source: 'inbox', phase: 'running', received, detail: `${p.pages} pages` }),
      });
      report({
        source: 'inbox',
        phase: 'done',
        received,
        detail: `${drained.deleted} deleted from holders`,
      });
    } catch (error) {
      drainFailure = errorText(error);
      report({ source: 'inbox', phase: 'failed', received, detail: drainFailure });
    }
    if (signal.aborted) return;
    // Contacts deposit by today's descriptor: published even when the drain failed.
    try {
      await pageInbox.publish({ signal });
    } catch (error) {
      const failure = `publishing the inbox failed: ${errorText(error)}`;
      report({
        source: 'inbox',
        phase: 'failed',
        received,
        detail: drainFailure ? `${drainFailure}; ${failure}` : failure,
      });
    }
  }

  return {
    signal,
    inbox,
    fetchHistory,
    async deposit(inboxKey, envelope) {
      if (!inbox || signal.aborted) return 0;
      await joining;
      const payload = encodeEnvelope(envelope);
      const result = await inbox.deposit(
        inboxKey,
        (descriptor, options) =>
          sealForInbox(descriptor, {
            topic: INBOX_WRAP_TOPIC,
            payload,
            pool: peer.powPool,
            signal: options.signal,
            maxPow: maxDepositPow(config.minPow),
          }),
        { signal },
      );
      return result.accepted;
    },
    async close() {
      own.abort();
      await inbox?.stop();
      await Promise.allSettled([work, history]);
    },
  };
}
