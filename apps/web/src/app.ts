/**
 * The app's state and what the user can do (specs/web/SPEC.md §2–§6), without the DOM: the
 * vault's three states (no identity, locked, unlocked), conversations, sending with PoW and a
 * delivery state per message, and receiving from every path into one history. The UI renders
 * `state` on every `change` event; tests drive the page through the UI, not this class.
 */

import { defaultBackend } from '@hush/crypto';
import { envelopeHash } from '@hush/envelope';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { IDBPDatabase } from 'idb';
import {
  CONTACT_CARD_TOPIC,
  canonicalChannelName,
  ONE_TO_ONE_TOPIC,
  type PublicChannel,
  publicChannel,
} from './channels.js';
import type { WebConfig } from './config.js';
import { openHistoryStore } from './db.js';
import { WebError } from './errors.js';
import {
  type Conversation,
  type DeliveryState,
  History,
  newMessageId,
  type Path,
  type StoredMessage,
} from './history.js';
import type { MixnetStatus, PageMixnet } from './mixnet.js';
import type { PageMetrics } from './page-metrics.js';
import { type OpenedMessage, PagePeer, type Recipient } from './peer.js';
import type { SealedStore } from './sealed-store.js';
import { Vault } from './vault.js';

/** Which screen the page shows. */
export type Screen = 'loading' | 'welcome' | 'locked' | 'unlocked';

/** Progress of one message's PoW. */
export interface Sealing {
  readonly fraction: number;
  readonly elapsedMs: number;
  readonly cancel: () => void;
}

/** Progress of fetching missed messages. */
export interface OfflineProgress {
  readonly source: 'inbox' | 'mailserver';
  readonly phase: 'running' | 'done' | 'failed' | 'unavailable';
  readonly received: number;
  readonly detail?: string;
}

/** Everything the UI shows. */
export interface AppState {
  screen: Screen;
  /** Our public key, 0x04…, shown even when locked. */
  publicKey?: string;
  conversations: Conversation[];
  messages: Map<string, StoredMessage[]>;
  active?: string;
  connection: 'connecting' | 'connected' | 'disconnected';
  sealing: Map<string, Sealing>;
  offline: Map<'inbox' | 'mailserver', OfflineProgress>;
  /** Direct channel state per contact id. */
  direct: Map<string, string>;
  notice?: { readonly kind: 'error' | 'info'; readonly text: string };
  powTimes: { at: number; ms: number }[];
  /**
   * "Send through the mixnet" (specs/web/SPEC.md §9): whether it is on, and the page's own
   * Loopix client's status (phase 'off' while it is off or the node offers no mixnet).
   */
  mixnet: { on: boolean; status: MixnetStatus };
}

/** What the page needs from its direct channels (`direct-service.ts`). */
export interface DirectChannels {
  /** Whether the contact acknowledged the envelope of this hash (this visit or an earlier one). */
  acknowledged(publicKey: Uint8Array, hash: Uint8Array): Promise<boolean>;
  /** Keeps a channel with a contact (made now, redialled when it drops). */
  addContact(publicKey: Uint8Array): Promise<void>;
  /** Queues an envelope for a contact; resolves to true once the contact acknowledged it. */
  send(publicKey: Uint8Array, envelope: import('@hush/envelope').Envelope): Promise<boolean>;
  stop(): Promise<void>;
}

/** The conversation id of a channel or contact. */
export const channelId = (name: string) => `channel:${name}`;
export const contactId = (publicKeyHex: string) => `contact:${publicKeyHex}`;

const RANK: Record<DeliveryState, number> = {
  sealing: 0,
  failed: 0,
  cancelled: 0,
  queued: 1,
  sent: 2,
  stored: 3,
  delivered: 4,
  received: 0,
};

/** Parses a pasted public key: 0x04 + 128 hex digits (or without 0x). */
export function parsePublicKey(text: string): Uint8Array {
  const hex = text.trim().replace(/^0x/i, '').toLowerCase();
  if (!/^04[0-9a-f]{128}$/.test(hex))
    throw new WebError('bad-public-key', 'a public key is 0x04 followed by 128 hex digits');
  const key = hexToBytes(hex);
  if (!defaultBackend.isValidPublicKey(key))
    throw new WebError('bad-public-key', 'that key is not a point of secp256k1');
  return key;
}

/** The app. */
export class HushApp extends EventTarget {
  readonly state: AppState = {
    screen: 'loading',
    conversations: [],
    messages: new Map(),
    connection: 'disconnected',
    sealing: new Map(),
    offline: new Map(),
    direct: new Map(),
    powTimes: [],
    mixnet: { on: false, status: { phase: 'off' } },
  };
  private readonly vault: Vault;
  /** The page's Loopix client while "send through the mixnet" is on. */
  private mixnet: PageMixnet | undefined;
  private history: History | undefined;
  private historyStore: SealedStore | undefined;
  private peer: PagePeer | undefined;
  private identityKey: Uint8Array | undefined;
  private inboxSecret: Uint8Array | undefined;
  private dataKey: CryptoKey | undefined;
  /** One per unlock: aborted on lock, so async work of a past session stops. */
  private session: AbortController | undefined;
  /** Releases this tab's Web Lock on the identity. */
  private releaseTab: (() => void) | undefined;
  private readonly channels = new Map<string, PublicChannel>();
  private readonly seen = new Set<string>();
  private readonly timers = new Set<ReturnType<typeof setInterval>>();
  /** Optional modules, set up on unlock when the node offers them. */
  direct: DirectChannels | undefined;
  private readonly hooks: UnlockHooks[] = [];

  readonly config: WebConfig;
  /** What the gossip engine counts, for the live panel. */
  readonly metrics: PageMetrics | undefined;

  constructor(db: IDBPDatabase, config: WebConfig, metrics?: PageMetrics) {
    super();
    this.config = config;
    this.metrics = metrics;
    this.vault = new Vault(db);
  }

  /** Registers what runs after each unlock (direct channels, the inbox, history). */
  onUnlock(hooks: UnlockHooks): void {
    this.hooks.push(hooks);
  }

  /** Our contact card: the first hooks that have one. */
  private async card(): Promise<{ inbox: string } | undefined> {
    for (const hooks of this.hooks) {
      const card = await hooks.card?.();
      if (card) return card;
    }
    return undefined;
  }

  /** Deposits to a contact's inbox through every hooks that can; the holders that took it. */
  private async deposit(
    inboxKey: Uint8Array,
    envelope: import('@hush/envelope').Envelope,
  ): Promise<number> {
    let stored = 0;
    for (const hooks of this.hooks) stored += (await hooks.deposit?.(inboxKey, envelope)) ?? 0;
    return stored;
  }

  private changed(): void {
    this.dispatchEvent(new Event('change'));
  }

  /** Shows a notice (errors are shown, never thrown at the user). */
  notify(kind: 'error' | 'info', text: string): void {
    this.state.notice = { kind, text };
    this.changed();
  }

  /** Reads the vault and picks the first screen. */
  async init(): Promise<void> {
    const record = await this.vault.record().catch(() => undefined);
    this.state.screen = record ? 'locked' : 'welcome';
    if (record) this.state.publicKey = `0x${record.publicKey}`;
    this.changed();
  }

  /**
   * Makes a new identity and unlocks it.
   *
   * @throws RangeError for a short passphrase; WebError 'identity-exists'
   */
  async create(passphrase: string): Promise<void> {
    const secrets = await this.vault.create(passphrase);
    await this.opened(secrets);
  }

  /**
   * Unlocks the stored identity.
   *
   * @throws WebError 'wrong-passphrase', 'no-identity'
   */
  async unlock(passphrase: string): Promise<void> {
    const secrets = await this.vault.unlock(passphrase);
    await this.opened(secrets);
  }

  /** The identity file's text (ciphertext only). */
  exportIdentity(): Promise<string> {
    return this.vault.exportFile();
  }

  /**
   * Replaces the identity by an exported one and unlocks it.
   *
   * @throws WebError 'bad-identity-file', 'wrong-passphrase'
   */
  async importIdentity(text: string, passphrase: string): Promise<void> {
    // Opened before anything changes: a wrong passphrase leaves the page as it was.
    const { record, secrets } = await this.vault.openFile(text, passphrase);
    if (this.state.screen === 'unlocked') await this.lock();
    await this.vault.replace(record);
    await this.opened(secrets);
  }

  private async opened(secrets: import('./vault.js').Secrets): Promise<void> {
    const publicKeyHex = bytesToHex(secrets.publicKey);
    await this.holdTab(publicKeyHex);
    this.identityKey = secrets.identityKey;
    this.inboxSecret = secrets.inboxSecret;
    const publicKey = publicKeyHex;
    this.state.publicKey = `0x${publicKey}`;
    this.dataKey = secrets.dataKey;
    this.session = new AbortController();
    this.historyStore = await openHistoryStore(secrets.dataKey);
    this.history = new History(this.historyStore, publicKey);
    const loaded = await this.history.load();
    this.state.conversations = loaded.conversations;
    this.state.messages = new Map();
    for (const stored of loaded.messages) {
      const message = interrupted(stored);
      if (message !== stored) void this.history.putMessage(message);
      this.list(message.conversation).push(message);
      if (message.envelopeHash) this.seen.add(message.envelopeHash);
    }
    if (loaded.corrupt > 0)
      this.notify(
        'error',
        `${loaded.corrupt} history records could not be opened and are not shown`,
      );
    this.state.active ??= loaded.conversations[0]?.id;
    try {
      await this.connect();
    } catch (error) {
      await this.lock();
      throw error;
    }
  }

  /**
   * One unlocked page per identity: two tabs would both drain the inbox (each seeing half),
   * run the same direct channels and overwrite each other's records. A Web Lock held while
   * unlocked says another tab has it.
   *
   * @throws WebError 'in-use' when another tab has this identity unlocked
   */
  private async holdTab(publicKeyHex: string): Promise<void> {
    const locks = (globalThis.navigator as Navigator | undefined)?.locks;
    if (!locks) return; // no Web Locks (an old browser): nothing to coordinate with
    const held = await new Promise<boolean>((resolve) => {
      void locks.request(`hush-unlocked-${publicKeyHex}`, { ifAvailable: true }, (lock) => {
        if (!lock) {
          resolve(false);
          return undefined;
        }
        resolve(true);
        return new Promise<void>((release) => {
          this.releaseTab = release;
        });
      });
    });
    if (!held)
      throw new WebError('in-use', 'this identity is unlocked in another tab: lock it there first');
  }

  private list(conversation: string): StoredMessage[] {
    let list = this.state.messages.get(conversation);
    if (!list) {
      list = [];
      this.state.messages.set(conversation, list);
    }
    return list;
  }

  private async connect(): Promise<void> {
    const peer = await PagePeer.start({
      config: this.config,
      identityKey: this.identityKey!,
      ...(this.metrics ? { metrics: this.metrics } : {}),
    });
    this.peer = peer;
    this.state.connection = 'connecting';
    const update = () => {
      const connected = peer.peerCount() > 0;
      const next = connected
        ? 'connected'
        : this.state.connection === 'connected'
          ? 'disconnected'
          : this.state.connection;
      if (next !== this.state.connection) {
        this.state.connection = next;
        if (connected) this.promoteQueued();
        this.changed();
      }
    };
    peer.gossip.engine.on('peer:ready', update);
    peer.gossip.engine.on('peer:closed', () => {
      this.state.connection = peer.peerCount() > 0 ? 'connected' : 'disconnected';
      this.changed();
    });
    this.timers.add(setInterval(update, 1000));
    await peer.watch('contacts', { identity: true }, [ONE_TO_ONE_TOPIC, CONTACT_CARD_TOPIC], (m) =>
      this.received(m),
    );
    for (const conversation of this.state.conversations) {
      if (conversation.kind === 'channel') await this.watchChannel(conversation.name);
    }
    this.state.screen = 'unlocked';
    this.changed();
    for (const hooks of this.hooks)
      await hooks.unlocked({
        app: this,
        peer,
        identityKey: this.identityKey!,
        inboxSecret: this.inboxSecret!,
        dataKey: this.dataKey!,
        signal: this.session!.signal,
        contacts: this.contacts(),
        topics: this.topics(),
      });
  }

  /** The contacts' public keys. */
  contacts(): Uint8Array[] {
    return this.state.conversations
      .filter((c) => c.kind === 'contact' && c.added && c.publicKey)
      .map((c) => hexToBytes(c.publicKey!));
  }

  /** Every topic the page listens on (for history requests). */
  topics(): Uint8Array[] {
    return [
      ONE_TO_ONE_TOPIC,
      CONTACT_CARD_TOPIC,
      ...[...this.channels.values()].map((c) => c.topic),
    ];
  }

  /** Locks: stops the peer and forgets every key and message in memory. */
  async lock(): Promise<void> {
    // First what the user sees and what runs: the session ends, the screen locks, decrypted
    // messages and keys leave memory; the modules' cleanup (closing stores) comes after.
    this.session?.abort();
    this.session = undefined;
    for (const timer of this.timers) clearInterval(timer);
    this.timers.clear();
    for (const sealing of this.state.sealing.values()) sealing.cancel();
    const peer = this.peer;
    const direct = this.direct;
    const mixnet = this.mixnet;
    this.peer = undefined;
    this.direct = undefined;
    this.mixnet = undefined;
    this.history = undefined;
    const historyStore = this.historyStore;
    this.historyStore = undefined;
    this.dataKey = undefined;
    this.channels.clear();
    this.seen.clear();
    Object.assign(this.state, {
      screen: 'locked' as const,
      conversations: [],
      messages: new Map(),
      connection: 'disconnected' as const,
      sealing: new Map(),
      offline: new Map(),
      direct: new Map(),
      mixnet: { on: false, status: { phase: 'off' } },
    });
    delete this.state.active;
    delete this.state.notice;
    this.changed();
    await peer?.stop().catch(() => {});
    await mixnet?.stop().catch(() => {});
    this.identityKey?.fill(0);
    this.inboxSecret?.fill(0);
    this.identityKey = undefined;
    this.inboxSecret = undefined;
    await direct?.stop().catch(() => {});
    for (const hooks of this.hooks) await hooks.locked?.().catch(() => {});
    await historyStore?.close().catch(() => {});
    this.releaseTab?.();
    this.releaseTab = undefined;
  }

  private async watchChannel(name: string): Promise<void> {
    const channel = await publicChannel(name);
    this.channels.set(channel.name, channel);
    await this.peer!.watch(
      channelId(channel.name),
      { symKey: channel.symKey },
      [channel.topic],
      (m) => this.received(m),
    );
  }

  /**
   * Joins a public channel (Status' derivation of topic and key from the name).
   *
   * @throws RangeError for an empty or long name
   */
  async joinChannel(name: string): Promise<void> {
    const canonical = canonicalChannelName(name);
    const id = channelId(canonical);
    if (!this.peer || !this.history) throw new WebError('locked', 'unlock first');
    if (!this.state.conversations.some((c) => c.id === id)) {
      // Key and filter first: the conversation appears when it can be written in.
      await this.watchChannel(canonical);
      await this.putConversation({ id, kind: 'channel', name: canonical, createdAt: Date.now() });
      for (const hooks of this.hooks) await hooks.joined?.(this.channels.get(canonical)!.topic);
    }
    this.state.active = id;
    this.changed();
  }

  /**
   * Adds a contact by its public key and sends it our contact card.
   *
   * @throws WebError 'bad-public-key'
   */
  async addContact(text: string): Promise<void> {
    const key = parsePublicKey(text);
    const hex = bytesToHex(key);
    if (`0x${hex}` === this.state.publicKey)
      throw new WebError('bad-public-key', 'that is your own public key');
    if (!this.peer || !this.history) throw new WebError('locked', 'unlock first');
    const id = contactId(hex);
    const existing = this.state.conversations.find((c) => c.id === id);
    // A stranger's conversation becomes a contact's: from now on its signatures verify.
    const conversation: Conversation = {
      ...(existing ?? { id, kind: 'contact' as const, publicKey: hex, createdAt: Date.now() }),
      name: contactLabel(hex),
      added: true,
    };
    await this.putConversation(conversation);
    this.state.active = id;
    this.changed();
    await this.sendCard(conversation, true);
    await this.direct
      ?.addContact(key)
      .catch((error: unknown) =>
        this.notify('error', `direct channel: ${(error as Error).message}`),
      );
  }

  /**
   * Turns "send through the mixnet" on or off. On: the page starts a Loopix client of its own
   * (a fresh identity, the node's verified directory, a gateway link, cover traffic at the
   * directory's rates), and messages the user sends leave through it to the exit instead of
   * to the node's gossip. Off (or on lock): the client stops and its keys are dropped.
   *
   * @throws WebError 'locked'; 'mixnet-unavailable' when the node offers no mixnet
   */
  async setMixnet(on: boolean): Promise<void> {
    if (on === this.state.mixnet.on) return;
    if (!this.peer) throw new WebError('locked', 'unlock first');
    const config = this.config.mixnet;
    if (on && !config)
      throw new WebError('mixnet-unavailable', 'the node offers no mixnet (no --mixnet exit)');
    const session = this.session;
    this.state.mixnet = { on, status: { phase: on ? 'connecting' : 'off' } };
    this.changed();
    if (!on) {
      const running = this.mixnet;
      this.mixnet = undefined;
      await running?.stop();
      return;
    }
    // Loaded on first use: a page that never turns it on never loads the Sphinx code.
    const { PageMixnet } = await import('./mixnet.js');
    if (session !== this.session || !this.state.mixnet.on || this.mixnet) return;
    this.mixnet = PageMixnet.start({
      config: config!,
      onStatus: (status) => {
        if (session !== this.session || !this.state.mixnet.on) return;
        this.state.mixnet = { on: true, status };
        this.changed();
      },
    });
  }

  /** Makes a conversation the one shown. */
  select(id: string): void {
    if (this.state.conversations.some((c) => c.id === id)) {
      this.state.active = id;
      this.changed();
    }
  }

  /**
   * Sends our contact card; `ask` asks the contact to answer with its own (sent when we add
   * a contact, who may have added us first and then seen our card as a stranger's).
   */
  private async sendCard(conversation: Conversation, ask: boolean): Promise<void> {
    const card = await this.card();
    if (!card || !this.peer || !conversation.publicKey) return;
    const payload = new TextEncoder().encode(JSON.stringify({ v: 1, ...card, ask }));
    try {
      const envelope = await this.peer.seal(
        {
          kind: 'contact',
          topic: CONTACT_CARD_TOPIC,
          publicKey: hexToBytes(conversation.publicKey!),
        },
        payload,
      );
      this.peer?.post(envelope);
    } catch (error) {
      this.notify('error', `could not send the contact card: ${(error as Error).message}`);
    }
  }

  private async putConversation(conversation: Conversation): Promise<void> {
    const index = this.state.conversations.findIndex((c) => c.id === conversation.id);
    if (index >= 0) this.state.conversations[index] = conversation;
    else this.state.conversations.push(conversation);
    await this.history?.putConversation(conversation);
    this.changed();
  }

  private async putMessage(message: StoredMessage): Promise<void> {
    const list = this.list(message.conversation);
    const index = list.findIndex((m) => m.id === message.id);
    if (index >= 0) list[index] = message;
    else list.push(message);
    this.changed();
    await this.history?.putMessage(message);
  }

  /** Moves a message to a later delivery state (never back). */
  async advance(
    id: string,
    conversation: string,
    state: DeliveryState,
    detail?: string,
  ): Promise<void> {
    const message = this.list(conversation).find((m) => m.id === id);
    if (!message || RANK[state] <= RANK[message.state]) return;
    await this.putMessage({ ...message, state, ...(detail ? { detail } : {}) });
  }

  /** On connecting: queued envelopes still in the pool go out now; expired ones never will. */
  private promoteQueued(): void {
    const now = Math.floor(Date.now() / 1000);
    for (const [conversation, list] of this.state.messages)
      for (const m of list) {
        if (m.state !== 'queued') continue;
        if (m.expiry !== undefined && m.expiry > now) void this.advance(m.id, conversation, 'sent');
        else void this.advance(m.id, conversation, 'failed', 'expired before a node was reached');
      }
  }

  /**
   * Sends a message in the active conversation: PoW in the workers (progress, cancellable),
   * then gossip; to a contact also over the direct channel and to its DHT inbox. With "send
   * through the mixnet" on, the envelope goes through the page's Loopix client to the exit,
   * which injects it into gossip, and by no other path: handing the same envelope to the node
   * (gossip, the DHT inbox, a relayed direct channel) would tell the node it came from this
   * page, which is what the mixnet hides.
   *
   * @throws WebError 'locked'; 'mixnet-unavailable' when the mixnet is on and not ready;
   *   'too-large' when the text cannot fit one mixnet packet; RangeError for an empty message
   */
  async send(text: string, options: { pow?: number } = {}): Promise<void> {
    const conversation = this.state.conversations.find((c) => c.id === this.state.active);
    if (!this.peer || !this.history) throw new WebError('locked', 'unlock first');
    if (!conversation) throw new RangeError('join a channel or add a contact first');
    if (text.trim().length === 0) throw new RangeError('text must not be empty');
    const id = newMessageId();
    const base: StoredMessage = {
      id,
      conversation: conversation.id,
      direction: 'out',
      text,
      at: Date.now(),
      signature: 'own',
      state: 'sealing',
      path: 'local',
    };
    const channel =
      conversation.kind === 'channel' ? this.channels.get(conversation.name) : undefined;
    const recipient: Recipient | undefined = channel
      ? { kind: 'channel', topic: channel.topic, symKey: channel.symKey }
      : conversation.kind === 'contact' && conversation.publicKey
        ? {
            kind: 'contact',
            topic: ONE_TO_ONE_TOPIC,
            publicKey: hexToBytes(conversation.publicKey),
          }
        : undefined;
    if (!recipient) throw new RangeError('this conversation has no key to write with');
    // Refused before the PoW is spent: the mixnet cannot take it now, or the text alone is
    // already over one packet (the envelope is checked again once sealed).
    const mixnet = this.state.mixnet.on ? this.mixnet : undefined;
    if (this.state.mixnet.on) {
      const status = this.state.mixnet.status;
      if (!mixnet || status.phase !== 'ready')
        throw new WebError(
          'mixnet-unavailable',
          `the mixnet is ${status.phase}${status.reason ? ` (${status.reason})` : ''}: wait until it is ready, or turn it off`,
        );
      const bytes = new TextEncoder().encode(text).length;
      if (bytes > mixnet.maxEnvelope)
        throw new WebError(
          'too-large',
          `${bytes} bytes do not fit one mixnet packet (an envelope of at most ${mixnet.maxEnvelope} bytes): send a shorter message, or turn the mixnet off`,
        );
    }
    const session = this.session;
    await this.putMessage(base);
    const abort = new AbortController();
    const started = performance.now();
    this.state.sealing.set(id, { fraction: 0, elapsedMs: 0, cancel: () => abort.abort() });
    this.changed();
    let envelope: import('@hush/envelope').Envelope;
    try {
      envelope = await this.peer.seal(recipient, new TextEncoder().encode(text), {
        signal: abort.signal,
        // Never below the node's minimum: the node would drop it.
        pow: Math.max(options.pow ?? 0, this.config.minPow),
        onProgress: (p) => {
          this.state.sealing.set(id, {
            fraction: p.fraction,
            elapsedMs: p.elapsedMs,
            cancel: () => abort.abort(),
          });
          this.changed();
        },
      });
    } catch (error) {
      this.state.sealing.delete(id);
      const cancelled = abort.signal.aborted;
      await this.putMessage({
        ...base,
        state: cancelled ? 'cancelled' : 'failed',
        ...(cancelled ? {} : { detail: (error as Error).message }),
      });
      return;
    }
    if (session !== this.session || !this.peer) return; // locked while sealing
    const powMs = Math.round(performance.now() - started);
    this.state.sealing.delete(id);
    this.state.powTimes.push({ at: Date.now(), ms: powMs });
    this.metrics?.recordPow(powMs);
    if (this.state.powTimes.length > 500) this.state.powTimes.shift();
    const hash = bytesToHex(envelopeHash(envelope));
    this.seen.add(hash);
    /** Stores the message as failed: what `post` or the mixnet refused. */
    const failed = (error: unknown, path?: 'mixnet') =>
      this.putMessage({
        ...base,
        state: 'failed',
        detail: (error as Error).message,
        powMs,
        envelopeHash: hash,
        ...(path ? { path } : {}),
      });
    if (mixnet) {
      try {
        mixnet.send(envelope);
      } catch (error) {
        await failed(error, 'mixnet');
        return;
      }
      // Handed to the Loopix client: it leaves in the next payload slot, to the exit.
      await this.putMessage({
        ...base,
        state: 'sent',
        powMs,
        envelopeHash: hash,
        expiry: envelope.expiry,
        path: 'mixnet',
      });
      return;
    }
    try {
      this.peer.post(envelope);
    } catch (error) {
      await failed(error);
      return;
    }
    await this.putMessage({
      ...base,
      state: this.peer.peerCount() > 0 ? 'sent' : 'queued',
      powMs,
      envelopeHash: hash,
      expiry: envelope.expiry,
    });
    if (conversation.kind === 'contact') {
      const key = hexToBytes(conversation.publicKey!);
      this.direct
        ?.send(key, envelope)
        .then((acknowledged) =>
          acknowledged ? this.advance(id, conversation.id, 'delivered') : undefined,
        )
        .catch(() => {});
      if (conversation.inboxKey)
        this.deposit(hexToBytes(conversation.inboxKey), envelope)
          .then((stored) => (stored > 0 ? this.advance(id, conversation.id, 'stored') : undefined))
          .catch(() => {});
    }
  }

  /**
   * Marks delivered what contacts acknowledged while the page was away: messages still short
   * of `delivered` whose envelope the direct channels know as acknowledged.
   */
  async directReady(direct: DirectChannels): Promise<void> {
    this.direct = direct;
    for (const conversation of this.state.conversations) {
      if (conversation.kind !== 'contact' || !conversation.publicKey) continue;
      const key = hexToBytes(conversation.publicKey);
      for (const m of this.state.messages.get(conversation.id) ?? []) {
        if (m.direction !== 'out' || !m.envelopeHash || m.state === 'delivered') continue;
        if (m.state !== 'sent' && m.state !== 'stored') continue;
        if (await direct.acknowledged(key, hexToBytes(m.envelopeHash)).catch(() => false))
          await this.advance(m.id, conversation.id, 'delivered');
      }
    }
  }

  /** A contact acknowledged the envelope of this hash (hex): its message is delivered. */
  async acknowledged(envelopeHashHex: string): Promise<void> {
    for (const [conversation, list] of this.state.messages)
      for (const m of list)
        if (m.direction === 'out' && m.envelopeHash === envelopeHashHex)
          await this.advance(m.id, conversation, 'delivered');
  }

  /**
   * Hands an envelope from another path (direct, inbox, mailserver) to the filters; resolves
   * once it is kept.
   *
   * @throws WebError 'locked' when the page is (or becomes) locked
   */
  deliver(
    envelope: import('@hush/envelope').Envelope,
    source: 'direct' | 'inbox' | 'history',
  ): Promise<void> {
    if (!this.peer) return Promise.reject(new WebError('locked', 'the page is locked'));
    return this.peer.deliver(envelope, envelopeHash(envelope), source);
  }

  /** Records a progress report of missed-message retrieval. */
  offlineProgress(progress: OfflineProgress): void {
    this.state.offline.set(progress.source, progress);
    this.changed();
  }

  /** Records a direct channel's state. */
  directState(publicKeyHex: string, state: string): void {
    this.state.direct.set(contactId(publicKeyHex), state);
    this.changed();
  }

  private async received(opened: OpenedMessage): Promise<void> {
    const { message } = opened;
    const session = this.session;
    const hash = bytesToHex(message.envelopeHash);
    if (!session || !this.history) throw new WebError('locked', 'the page locked: nothing is kept');
    if (this.seen.has(hash)) return;
    this.seen.add(hash);
    const signer = message.signer ? bytesToHex(message.signer) : undefined;
    const path: Path =
      opened.source === 'direct'
        ? 'direct'
        : opened.source === 'inbox'
          ? 'inbox'
          : opened.source === 'history'
            ? 'mailserver'
            : 'gossip';
    if (bytesToHex(message.topic) === bytesToHex(CONTACT_CARD_TOPIC)) {
      await this.receivedCard(signer, message.payload, message.sent);
      return;
    }
    const isContact = (hex: string) =>
      this.state.conversations.some((c) => c.id === contactId(hex) && c.added);
    let conversation: Conversation | undefined;
    let signature: StoredMessage['signature'];
    if (opened.filter === 'contacts') {
      if (!signer) {
        conversation = await this.ensureConversation('unsigned');
        signature = 'unsigned';
      } else {
        // A stranger's message opens a conversation of its own, not a contact: its signature
        // is a key's, not a contact's, until the user adds it.
        signature = isContact(signer) ? 'verified' : 'signed';
        conversation = await this.ensureConversation(signer);
      }
    } else {
      conversation = this.state.conversations.find((c) => c.id === opened.filter);
      if (!conversation) return;
      if (signer && `0x${signer}` === this.state.publicKey) return; // our own, from history
      signature = !signer ? 'unsigned' : isContact(signer) ? 'verified' : 'signed';
    }
    // Locked meanwhile: nothing of it is kept, and whoever handed it in is told so.
    if (session !== this.session) throw new WebError('locked', 'the page locked: nothing is kept');
    await this.putMessage({
      id: newMessageId(),
      conversation: conversation.id,
      direction: 'in',
      text: new TextDecoder('utf-8', { fatal: false }).decode(message.payload),
      at: message.sent * 1000,
      ...(signer ? { signer } : {}),
      signature,
      state: 'received',
      envelopeHash: hash,
      path,
    });
  }

  /** The conversation of a signer (or of unsigned 1:1 messages), made when there is none. */
  private async ensureConversation(hex: string): Promise<Conversation> {
    const id = contactId(hex);
    const existing = this.state.conversations.find((c) => c.id === id);
    if (existing) return existing;
    const conversation: Conversation =
      hex === 'unsigned'
        ? { id, kind: 'contact', name: 'Unsigned messages', createdAt: Date.now() }
        : {
            id,
            kind: 'contact',
            name: `${contactLabel(hex)} (not a contact)`,
            publicKey: hex,
            createdAt: Date.now(),
          };
    await this.putConversation(conversation);
    return conversation;
  }

  private async receivedCard(
    signer: string | undefined,
    payload: Uint8Array,
    sent: number,
  ): Promise<void> {
    if (!signer) return;
    const conversation = this.state.conversations.find((c) => c.id === contactId(signer));
    // A stranger's card is not kept: our inbox key goes only to those we added, and when we
    // add them our card asks for theirs.
    if (!conversation?.added) return;
    let card: unknown;
    try {
      card = JSON.parse(new TextDecoder().decode(payload));
    } catch {
      return;
    }
    if (typeof card !== 'object' || card === null) return;
    const { v, inbox, ask } = card as { v?: unknown; inbox?: unknown; ask?: unknown };
    if (v !== 1 || typeof inbox !== 'string' || !/^[0-9a-f]{64}$/.test(inbox)) return;
    if (conversation.inboxKey !== inbox)
      await this.putConversation({ ...conversation, inboxKey: inbox });
    // Answer a fresh ask once (a card replayed from history days later asks nothing).
    if (ask === true && Date.now() / 1000 - sent < CARD_ANSWER_WINDOW_S)
      await this.sendCard(conversation, false);
  }

  /** Cancels a message's PoW. */
  cancel(id: string): void {
    this.state.sealing.get(id)?.cancel();
  }

  /** The running peer (while unlocked). */
  get currentPeer(): PagePeer | undefined {
    return this.peer;
  }
}

/** A contact's short label: the first and last hex digits of its key. */
export function contactLabel(publicKeyHex: string): string {
  return `0x${publicKeyHex.slice(2, 10)}…${publicKeyHex.slice(-6)}`;
}

/** How old a contact card that asks for an answer may be: older ones are replays. */
const CARD_ANSWER_WINDOW_S = 600;

/**
 * A message as it is after the page was closed: one still sealing was interrupted, and one
 * queued never reached a node (the gossip pool went with the page).
 */
function interrupted(message: StoredMessage): StoredMessage {
  if (message.state === 'sealing')
    return { ...message, state: 'failed', detail: 'interrupted: the page closed while sealing' };
  if (message.state === 'queued')
    return {
      ...message,
      state: 'failed',
      detail: 'not sent: the page closed before a node was reached',
    };
  return message;
}

/** What a module gets on unlock. */
export interface UnlockContext {
  readonly app: HushApp;
  readonly peer: PagePeer;
  readonly identityKey: Uint8Array;
  readonly inboxSecret: Uint8Array;
  /** The history's AES-256-GCM key: modules that keep data seal it with this. */
  readonly dataKey: CryptoKey;
  /** Aborted when the page locks: work of this session stops and reports nothing. */
  readonly signal: AbortSignal;
  readonly contacts: Uint8Array[];
  readonly topics: Uint8Array[];
}

/** What the optional modules do around unlocking. */
export interface UnlockHooks {
  unlocked(context: UnlockContext): Promise<void>;
  locked?(): Promise<void>;
  joined?(topic: Uint8Array): Promise<void>;
  /** Our contact card's fields (the inbox key), when there is an inbox. */
  card?(): Promise<{ inbox: string } | undefined>;
  /** Deposits an envelope to a contact's DHT inbox; resolves to the holders that stored it. */
  deposit?(inboxKey: Uint8Array, envelope: import('@hush/envelope').Envelope): Promise<number>;
}
