/**
 * Direct channels in the app (specs/web/SPEC.md §7.1): a `PageDirect` per unlock over an
 * IndexedDB store of the identity's own, a channel kept with every contact, what contacts send
 * over it handed to the filters (source `direct`), and each channel's state shown. A message
 * handed to a channel is `delivered` once the contact has acknowledged everything queued for
 * it: the channel's pending count falls to zero only when the contact acknowledged them all.
 */
import type { Envelope } from '@hush/envelope';
import { INTRODUCTION_TOPIC } from '@hush/transport-direct';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { DirectChannels, UnlockHooks } from './app.js';
import type { WebConfig } from './config.js';
import { type PageChannelState, PageDirect } from './direct.js';
import { IdbStore } from './idb-store.js';

/** The direct channels' IndexedDB database of one identity. */
export function directStoreName(publicKeyHex: string): string {
  return `hush-direct-${publicKeyHex.slice(2, 34)}`;
}

function describe(state: PageChannelState): string {
  if (state.state === 'open') return `open (${state.path ?? 'webrtc'})`;
  if (state.state === 'connecting') return 'connecting…';
  if (state.state === 'waiting')
    return state.lastError ? `waiting to redial (${state.lastError})` : 'waiting to redial';
  return state.introduced ? 'idle' : 'waiting for the contact to come online';
}

/** The unlock hooks that run direct channels. */
export function directServices(config: WebConfig): UnlockHooks {
  let direct: PageDirect | undefined;
  let store: IdbStore | undefined;
  /** Bumped on every lock, so a start still under way when the page locks gives up. */
  let generation = 0;
  return {
    async unlocked(context) {
      // In the background: unlocking must not wait for the node or for introductions' PoW.
      void run(context).catch((error: unknown) =>
        context.app.notify('error', `direct channels: ${(error as Error).message}`),
      );
    },
    async locked() {
      generation++;
      const closing = direct;
      const closingStore = store;
      direct = undefined;
      store = undefined;
      await closing?.stop().catch(() => {});
      await closingStore?.close().catch(() => {});
    },
  };

  async function run({ app, peer, identityKey, contacts }: Parameters<UnlockHooks['unlocked']>[0]) {
    peer.listen('direct', [INTRODUCTION_TOPIC]);
    const publicKey = app.state.publicKey!.slice(2);
    const started = generation;
    const opened = await IdbStore.open(directStoreName(publicKey));
    if (started !== generation) {
      await opened.close();
      return;
    }
    store = opened;
    /** Resolvers of sends waiting for their contact's pending count to reach zero. */
    const waiting = new Map<string, (() => void)[]>();
    const pageDirect = new PageDirect({
      gossip: peer.gossip,
      identityKey,
      store: opened,
      powPool: peer.powPool,
      minPow: config.minPow,
      stun: config.stun,
      relay: config.relay ?? undefined,
      onMessage: (_from, envelope) => app.deliver(envelope, 'direct'),
      onChannels: (states) => {
        for (const state of states) {
          const hex = bytesToHex(state.publicKey);
          app.directState(hex, describe(state));
          if (state.state === 'open' && state.pending === 0) {
            for (const resolve of waiting.get(hex) ?? []) resolve();
            waiting.delete(hex);
          }
        }
      },
    });
    direct = pageDirect;
    // The page's gossip must be connected before introductions go out.
    if (peer.peerCount() === 0)
      await new Promise<void>((resolve) => {
        const stop = peer.gossip.engine.on('peer:ready', () => {
          stop();
          resolve();
        });
      });
    if (direct !== pageDirect) return; // locked meanwhile
    await pageDirect.start();
    const channels: DirectChannels = {
      async addContact(key) {
        await pageDirect.addContact(key);
        await pageDirect.open(key);
      },
      async send(key: Uint8Array, envelope: Envelope) {
        await pageDirect.send(key, envelope);
        const hex = bytesToHex(key);
        return new Promise<boolean>((resolve) => {
          const list = waiting.get(hex) ?? [];
          list.push(() => resolve(true));
          waiting.set(hex, list);
        });
      },
      // The channels themselves stop in `locked`, with their store.
      async stop() {
        waiting.clear();
      },
    };
    app.direct = channels;
    for (const key of contacts) await channels.addContact(key).catch(() => {});
  }
}
