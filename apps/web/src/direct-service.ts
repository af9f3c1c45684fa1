/**
 * Direct channels in the app (specs/web/SPEC.md §7.1): a `PageDirect` per unlock over an
 * IndexedDB store of the identity's own, sealed under the data key (§2.1, §5;
 * `sealed-store.ts`: values sealed, key names in clear), a channel kept with every contact,
 * what contacts send over it handed to the filters (source `direct`), and each channel's state
 * shown.
 *
 * **The database's name** is `hush-direct-` and the first 16 bytes (32 hex digits) of
 * SHA-256("hush-direct" ‖ the 65-byte public key): one per identity, and it does not show the
 * key. Whoever knows the public key can still tell which database is its (the identity record
 * beside it keeps the key in clear anyway, §2.2). The data key cannot name it: it is a
 * non-extractable AES-GCM key, good for nothing but sealing. The database of before,
 * `hush-direct-<the key's first 16 bytes after 0x04>`, held everything in clear: on unlock
 * its entries move into the sealed store (when that is new) and it is deleted.
 *
 * **Delivered.** Each message is `delivered` on its own acknowledgement: `PageDirect` sees each
 * acknowledgement the outbox keeps (`onAcknowledged`, see `direct.ts`), and `send` resolves true
 * when that message's comes, or at once when it was acknowledged before (`acknowledged`, for 30
 * days: a message acknowledged after a reload is found by its envelope hash).
 *
 * **The session** is the unlock's `signal`: once it is aborted (the page locks) the channels
 * stop and their store closes, a start still under way gives up at its next step and closes
 * what it opened, `app.direct` is not set, nothing more is reported to the app, and sends
 * still waiting resolve false.
 */
import type { Envelope } from '@hush/envelope';
import { INTRODUCTION_TOPIC } from '@hush/transport-direct';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { DirectChannels, UnlockContext, UnlockHooks } from './app.js';
import type { WebConfig } from './config.js';
import { type PageChannelState, PageDirect } from './direct.js';
import { IdbStore } from './idb-store.js';
import { SealedStore } from './sealed-store.js';

/** The direct channels' IndexedDB database of one identity (its 65-byte public key). */
export function directStoreName(publicKey: Uint8Array): string {
  const domain = new TextEncoder().encode('hush-direct');
  const input = new Uint8Array(domain.length + publicKey.length);
  input.set(domain);
  input.set(publicKey, domain.length);
  return `hush-direct-${bytesToHex(sha256(input)).slice(0, 32)}`;
}

/** The app's direct channels, with the lookup of a message's acknowledgement. */
export interface PageDirectChannels extends DirectChannels {
  /**
   * Whether the contact acknowledged the message of envelope hash `hash` (this visit or
   * before a reload; remembered 30 days).
   */
  acknowledged(publicKey: Uint8Array, hash: Uint8Array): Promise<boolean>;
}

function describe(state: PageChannelState): string {
  if (state.state === 'open') return `open (${state.path ?? 'webrtc'})`;
  if (state.state === 'connecting') return 'connecting…';
  if (state.state === 'waiting')
    return state.lastError ? `waiting to redial (${state.lastError})` : 'waiting to redial';
  return state.introduced ? 'idle' : 'waiting for the contact to come online';
}

/** Thrown inside a start when its session ended: it stops there, reporting nothing. */
class Ended extends Error {}

/** What one unlock opened, closed when its signal is aborted. */
class Session {
  readonly signal: AbortSignal;
  private store: SealedStore | undefined;
  private direct: PageDirect | undefined;
  /** Sends waiting for their acknowledgement, by `<public key hex>/<hash hex>`. */
  readonly waiting = new Map<string, Set<(acknowledged: boolean) => void>>();
  private ending: Promise<void> | undefined;

  constructor(signal: AbortSignal) {
    this.signal = signal;
    signal.addEventListener('abort', () => void this.end(), { once: true });
  }

  /** Throws Ended when the session is over. */
  check(): void {
    if (this.signal.aborted || this.ending) throw new Ended();
  }

  /** Keeps the store to close at the end; closes it now when the session is over. */
  async ownStore(store: SealedStore): Promise<void> {
    if (this.signal.aborted || this.ending) {
      await store.close().catch(() => {});
      throw new Ended();
    }
    this.store = store;
  }

  ownDirect(direct: PageDirect): void {
    this.check();
    this.direct = direct;
  }

  /** Stops the channels, closes the store, resolves waiting sends false. Once. */
  end(): Promise<void> {
    this.ending ??= (async () => {
      for (const list of this.waiting.values()) for (const resolve of list) resolve(false);
      this.waiting.clear();
      await this.direct?.stop().catch(() => {});
      await this.store?.close().catch(() => {});
    })();
    return this.ending;
  }
}

/** The unlock hooks that run direct channels. */
export function directServices(config: WebConfig): UnlockHooks {
  const sessions = new Set<Session>();
  return {
    async unlocked(context) {
      const session = new Session(context.signal);
      sessions.add(session);
      // In the background: unlocking must not wait for the node or for introductions' PoW.
      void run(context, session).catch(async (error: unknown) => {
        await session.end();
        if (error instanceof Ended || context.signal.aborted) return;
        context.app.notify('error', `direct channels: ${(error as Error).message}`);
      });
    },
    /** Waits for every ended session's channels and store to close (the signal ended them). */
    async locked() {
      await Promise.all([...sessions].map((session) => session.end()));
      sessions.clear();
    },
  };

  async function run(context: UnlockContext, session: Session): Promise<void> {
    const { app, peer, identityKey, contacts, dataKey } = context;
    session.check();
    peer.listen('direct', [INTRODUCTION_TOPIC]);
    const publicKey = hexToBytes(app.state.publicKey!.slice(2));
    let unopened = 0;
    const store = new SealedStore(await IdbStore.open(directStoreName(publicKey)), dataKey, {
      onUnopened: () => unopened++,
    });
    await session.ownStore(store);
    session.check();
    const key = (publicKey: Uint8Array, hash: Uint8Array) =>
      `${bytesToHex(publicKey)}/${bytesToHex(hash)}`;
    const pageDirect = new PageDirect({
      gossip: peer.gossip,
      identityKey,
      store,
      powPool: peer.powPool,
      minPow: config.minPow,
      stun: config.stun,
      relay: config.relay ?? undefined,
      onMessage: (_from, envelope) => {
        // The direct inbox keeps it already (store-and-forward): a failure here loses nothing.
        if (!context.signal.aborted) void app.deliver(envelope, 'direct').catch(() => {});
      },
      onAcknowledged: (publicKey, hash) => {
        const id = key(publicKey, hash);
        for (const resolve of session.waiting.get(id) ?? []) resolve(true);
        session.waiting.delete(id);
        // Also a message sent in an earlier visit, which has no waiter now.
        if (!context.signal.aborted) void app.acknowledged(bytesToHex(hash));
      },
      onChannels: (states) => {
        if (context.signal.aborted) return;
        for (const state of states) app.directState(bytesToHex(state.publicKey), describe(state));
      },
    });
    session.ownDirect(pageDirect);
    // The page's gossip must be connected before introductions go out.
    if (peer.peerCount() === 0)
      await new Promise<void>((resolve) => {
        const done = () => {
          stop();
          context.signal.removeEventListener('abort', done);
          resolve();
        };
        const stop = peer.gossip.engine.on('peer:ready', done);
        context.signal.addEventListener('abort', done);
      });
    session.check();
    await pageDirect.start();
    session.check();
    if (unopened > 0)
      app.notify('error', `direct channels: ${unopened} stored records did not open, skipped`);
    const channels: PageDirectChannels = {
      async addContact(publicKey) {
        await pageDirect.addContact(publicKey);
        await pageDirect.open(publicKey);
      },
      async send(publicKey: Uint8Array, envelope: Envelope) {
        const { hash } = await pageDirect.send(publicKey, envelope);
        if (context.signal.aborted) return false;
        const id = key(publicKey, hash);
        const acknowledged = new Promise<boolean>((resolve) => {
          const list = session.waiting.get(id) ?? new Set();
          list.add(resolve);
          session.waiting.set(id, list);
        });
        // Acknowledged already (sent before, accepted: false), or while this was registered.
        if (await pageDirect.acknowledged(publicKey, hash).catch(() => false)) {
          for (const resolve of session.waiting.get(id) ?? []) resolve(true);
          session.waiting.delete(id);
        }
        return acknowledged;
      },
      acknowledged: (publicKey, hash) => pageDirect.acknowledged(publicKey, hash),
      // The session's end stops the channels and closes their store (the signal ends it too).
      stop: () => session.end(),
    };
    await app.directReady(channels);
    for (const contact of contacts) {
      session.check();
      await channels.addContact(contact).catch(() => {});
    }
  }
}
