/**
 * The page's own Loopix client (specs/web/SPEC.md §9; specs/mixnet-sphinx/SPEC.md §13,
 * §13.5): with "send through the mixnet" on, the page is a client of the mixnet its node names
 * in `/hush-web.json`, so that an envelope enters gossip at the exit, not at the page's node.
 *
 * - Identity: a fresh secp256k1 key (and X25519 link key) for each time the option is turned
 *   on, never the user's identity key: the page's queue at the gateway (SHA-256 of that key)
 *   links to nothing the user holds, and two sessions do not link to each other.
 * - Directory: the node serves the signed documents it holds (`/mixnet/documents/<epoch>`,
 *   this epoch's and the next); the page verifies each itself against the network file's
 *   authority keys and threshold (`verifyDirectory`), and reads no more than 4 MiB of one.
 *   The node is trusted for nothing here: a document it made up or altered does not verify.
 * - Link: a `hush-mix/1` Noise link to a gateway drawn from the verified directory, over the
 *   browser WebSocket carrier (the gateway, not the page's node, is at the other end).
 * - Streams: the three Loopix streams at the directory's rates while the option is on (payload
 *   or payload-drop, loop, drop): the page's link looks the same whether the user talks or not.
 *   Loops come back to the page's queue, which it fetches every second and acknowledges.
 * - Sending: `encodeCarried(geometry, {kind: 'inject', body: encodeEnvelope(envelope)})` to
 *   the exit, in the next payload slot. An envelope over `maxCarriedBody` is refused.
 *
 * Packets made while the link is down wait for it (at most 100); the link is redialled on the
 * next tick. Nothing is kept across reloads.
 */
import { webSocketCarrier } from '@hush/carrier-websocket';
import { defaultBackend, randomBytes, secp256k1Identity, secp256k1Verifier } from '@hush/crypto';
import { type Envelope, encodeEnvelope } from '@hush/envelope';
import {
  type DirectoryDocument,
  decodeDirectory,
  encodeCarried,
  epochAt,
  epochStart,
  GatewayClient,
  type Geometry,
  geometry,
  LoopixClient,
  maxCarriedBody,
  mixLinkEncrypter,
  mixNodeId,
  readCappedText,
  type SignedDirectory,
  verifyDirectory,
} from '@hush/mixnet-sphinx';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { WebMixnetConfig } from './config.js';
import { WebError } from './errors.js';

/** Where the node serves the signed directory of an epoch. */
export const MIXNET_DOCUMENTS_PATH = '/mixnet/documents/';
/** The most bytes of one directory answer the page reads. */
const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;
/** Packets kept while the gateway link is down. */
const MAX_WAITING_PACKETS = 100;
/** How often the queue at the gateway is fetched, ms. */
const POLL_MS = 1000;
/** Messages fetched per FETCH. */
const FETCH_PAGE = 100;
/** Loops not back after this long are counted lost, ms. */
const LOOP_TIMEOUT_MS = 60_000;

/** Where the page's mixnet client is. */
export type MixnetPhase = 'off' | 'connecting' | 'ready' | 'unavailable';

/** What the UI shows of the page's mixnet client. */
export interface MixnetStatus {
  readonly phase: MixnetPhase;
  /** Why it is unavailable (or still connecting after a failure). */
  readonly reason?: string;
  /** Loops sent and come back, and lost, this session. */
  readonly loops?: { readonly back: number; readonly lost: number };
}

/** How the page's mixnet client runs. */
export interface PageMixnetOptions {
  readonly config: WebMixnetConfig;
  /** Called on every change of the status. */
  readonly onStatus?: (status: MixnetStatus) => void;
  /** Where the signed documents are (default `/mixnet/documents/` of the page's origin). */
  readonly documentsUrl?: string;
  readonly fetch?: typeof fetch;
}

/**
 * The verified directory of `epoch` that the node serves, or undefined when it holds none.
 *
 * @throws WebError 'mixnet-unavailable' for an answer that is not a signed directory of that
 *   epoch with the threshold of the network's authorities, longer than 4 MiB, or unreachable
 */
export async function fetchVerifiedDocument(
  config: WebMixnetConfig,
  epoch: number,
  options: { readonly documentsUrl?: string; readonly fetch?: typeof fetch; now?: number } = {},
): Promise<DirectoryDocument | undefined> {
  const { network } = config;
  const url = `${options.documentsUrl ?? MIXNET_DOCUMENTS_PATH}${epoch}`;
  const unavailable = (why: string, cause?: unknown) =>
    new WebError('mixnet-unavailable', `the directory of epoch ${epoch}: ${why}`, {
      ...(cause === undefined ? {} : { cause }),
    });
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, { cache: 'no-store' });
  } catch (cause) {
    throw unavailable('the node did not answer', cause);
  }
  if (response.status === 404) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw unavailable(`the node answered ${response.status}`);
  }
  let signed: SignedDirectory;
  try {
    signed = JSON.parse(await readCappedText(response, MAX_DOCUMENT_BYTES)) as SignedDirectory;
  } catch (cause) {
    throw unavailable(`not a signed directory (${(cause as Error).message})`, cause);
  }
  if (
    typeof signed !== 'object' ||
    signed === null ||
    typeof signed.document !== 'string' ||
    !Array.isArray(signed.signatures)
  )
    throw unavailable('not {document, signatures}');
  // Another epoch's document is refused as such, before its signatures are checked.
  let claimed: number;
  try {
    claimed = decodeDirectory(signed.document).epoch;
  } catch (cause) {
    throw unavailable(`not a directory document (${(cause as Error).message})`, cause);
  }
  if (claimed !== epoch) throw unavailable(`a document of epoch ${claimed}`);
  let document: DirectoryDocument;
  try {
    // A future epoch's document is checked at its start, as the node checks it.
    document = verifyDirectory(
      signed,
      network.authorities.map((a) => a.publicKey),
      network.threshold,
      Math.max(options.now ?? Date.now(), epochStart(epoch, network.epochMs)),
    );
  } catch (cause) {
    throw unavailable(`it does not verify (${(cause as Error).message})`, cause);
  }
  if (
    document.sphinx.hops !== network.sphinx.hops ||
    document.sphinx.userPayloadLength !== network.sphinx.userPayloadLength
  )
    throw unavailable('its packet geometry is not the network file’s');
  return document;
}

/** A fresh secp256k1 private key. */
function freshKey(): Uint8Array {
  for (;;) {
    const key = randomBytes(32);
    if (defaultBackend.isValidPrivateKey(key)) return key;
  }
}

/**
 * The page's Loopix client.
 *
 * @example
 * ```ts
 * const mixnet = PageMixnet.start({ config: webConfig.mixnet!, onStatus: (s) => render(s) });
 * mixnet.send(envelope); // once its status is 'ready'
 * await mixnet.stop();
 * ```
 */
export class PageMixnet {
  readonly geometry: Geometry;
  private readonly options: PageMixnetOptions;
  private readonly identity = secp256k1Identity(freshKey());
  private readonly linkKey = randomBytes(32);
  private readonly queueId: Uint8Array;
  private readonly documents = new Map<number, DirectoryDocument>();
  private readonly waiting: { firstHop: Uint8Array; packet: Uint8Array }[] = [];
  private loopix: LoopixClient | undefined;
  private gatewayId: Uint8Array | undefined;
  private link: GatewayClient | undefined;
  private current: MixnetStatus = { phase: 'connecting' };
  private problem: string | undefined;
  private loops = { back: 0, lost: 0 };
  private ticking = false;
  private polling = false;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private stopped = false;

  private constructor(options: PageMixnetOptions) {
    this.options = options;
    const { sphinx } = options.config.network;
    this.geometry = geometry(sphinx.hops, sphinx.userPayloadLength);
    this.queueId = mixNodeId(this.identity.publicKey.subarray(1));
  }

  /** Starts the client: the directory fetched, the gateway linked and the streams run. */
  static start(options: PageMixnetOptions): PageMixnet {
    const mixnet = new PageMixnet(options);
    const { epochMs } = options.config.network;
    mixnet.timers.push(
      setInterval(() => void mixnet.tick(), Math.max(1000, Math.min(5000, epochMs / 20))),
      setInterval(() => void mixnet.poll(), POLL_MS),
    );
    void mixnet.tick();
    return mixnet;
  }

  /** The status now. */
  get status(): MixnetStatus {
    return this.current;
  }

  /** The longest envelope (RLP bytes) one packet carries to the exit. */
  get maxEnvelope(): number {
    return maxCarriedBody(this.geometry, false);
  }

  /**
   * Queues an envelope for the exit, which injects it into gossip: it leaves in the next
   * payload slot.
   *
   * @throws WebError 'too-large' for an envelope over one packet; 'mixnet-unavailable' when
   *   the client is not ready (no verified directory, no gateway link) or its queue is full
   */
  send(envelope: Envelope): void {
    const body = encodeEnvelope(envelope);
    if (body.length > this.maxEnvelope)
      throw new WebError(
        'too-large',
        `the envelope is ${body.length} bytes; one mixnet packet carries at most ${this.maxEnvelope}: send a shorter message, or turn the mixnet off`,
      );
    if (this.current.phase !== 'ready' || !this.loopix)
      throw new WebError(
        'mixnet-unavailable',
        `the mixnet is not ready${this.current.reason ? `: ${this.current.reason}` : ''}`,
      );
    try {
      this.loopix.send(
        this.options.config.exit,
        encodeCarried(this.geometry, { kind: 'inject', body }),
      );
    } catch (cause) {
      throw new WebError('mixnet-unavailable', `the mixnet refused: ${(cause as Error).message}`, {
        cause,
      });
    }
  }

  /** Stops the streams and closes the link (messages still queued are dropped). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.loopix?.stop();
    this.link?.close();
    this.link = undefined;
    this.waiting.length = 0;
    this.setStatus({ phase: 'off' });
  }

  /** The verified directory of the epoch now, if held. */
  private document(): DirectoryDocument | undefined {
    return this.documents.get(epochAt(Date.now(), this.options.config.network.epochMs));
  }

  private setStatus(status: MixnetStatus): void {
    const next = { ...status, loops: { ...this.loops } };
    if (JSON.stringify(next) === JSON.stringify(this.current)) return;
    this.current = next;
    this.options.onStatus?.(next);
  }

  /** The status as the directory and the link make it. */
  private refresh(): void {
    if (this.stopped) return;
    if (this.document() && this.link) this.setStatus({ phase: 'ready' });
    else if (this.problem) this.setStatus({ phase: 'unavailable', reason: this.problem });
    else this.setStatus({ phase: 'connecting' });
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      await this.fetchDocuments();
      if (this.stopped) return;
      const document = this.document();
      if (document) this.ensureLoopix(document);
      if (document && !this.link) await this.connect(document);
      const lost = this.loopix?.expireLoops(LOOP_TIMEOUT_MS) ?? 0;
      this.loops.lost += lost;
    } finally {
      this.ticking = false;
      this.refresh();
    }
  }

  /** This epoch's and the next one's documents, those not held yet. */
  private async fetchDocuments(): Promise<void> {
    const { network } = this.options.config;
    const now = epochAt(Date.now(), network.epochMs);
    for (const e of [...this.documents.keys()]) if (e < now) this.documents.delete(e);
    const reasons: string[] = [];
    for (const epoch of [now, now + 1]) {
      if (this.documents.has(epoch)) continue;
      try {
        const document = await fetchVerifiedDocument(this.options.config, epoch, {
          ...(this.options.documentsUrl ? { documentsUrl: this.options.documentsUrl } : {}),
          ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
        });
        if (document) this.documents.set(epoch, document);
        else if (epoch === now) reasons.push(`the node holds no directory of epoch ${epoch} yet`);
      } catch (error) {
        if (epoch === now) reasons.push((error as Error).message);
      }
    }
    this.problem = this.documents.has(now) ? undefined : reasons.join('; ');
  }

  /** The Loopix client at a gateway of the directory (drawn again if it left the directory). */
  private ensureLoopix(document: DirectoryDocument): void {
    const hex = this.gatewayId ? bytesToHex(this.gatewayId) : undefined;
    if (hex && document.gateways.some((g) => bytesToHex(g.id) === hex)) return;
    this.loopix?.stop();
    this.link?.close();
    this.link = undefined;
    this.waiting.length = 0;
    const b = randomBytes(4);
    const pick =
      (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) % document.gateways.length;
    const gatewayId = document.gateways[pick]!.id;
    this.gatewayId = gatewayId;
    this.loopix = new LoopixClient({
      geometry: this.geometry,
      directory: () => this.document(),
      self: { id: this.queueId, gateway: gatewayId },
      submit: (firstHop, packet) => this.submit(firstHop, packet),
    });
    this.loopix.start();
  }

  private async connect(document: DirectoryDocument): Promise<void> {
    const id = bytesToHex(this.gatewayId!);
    const gateway = document.gateways.find((g) => bytesToHex(g.id) === id)!;
    try {
      const link = await GatewayClient.connect({
        carrier: webSocketCarrier(),
        encrypter: mixLinkEncrypter({
          identity: this.identity,
          verifier: secp256k1Verifier(),
          staticKey: this.linkKey,
        }),
        gateway,
        geometry: this.geometry,
      });
      if (this.stopped || bytesToHex(this.gatewayId!) !== id) {
        link.close();
        return;
      }
      this.link = link;
      this.problem = undefined;
      while (this.waiting.length > 0 && this.link === link) {
        const { firstHop, packet } = this.waiting.shift()!;
        this.submit(firstHop, packet);
      }
    } catch (error) {
      this.problem = `the gateway is unreachable (${(error as Error).message})`;
    }
  }

  private submit(firstHop: Uint8Array, packet: Uint8Array): void {
    if (this.link) {
      try {
        this.link.submit(firstHop, packet);
        return;
      } catch {
        this.lostLink('the gateway link closed');
      }
    }
    if (this.waiting.length >= MAX_WAITING_PACKETS) this.waiting.shift();
    this.waiting.push({ firstHop, packet });
  }

  private lostLink(why: string): void {
    this.link = undefined;
    this.problem = why;
    this.refresh();
    void this.tick();
  }

  /** Fetches the page's queue: its loops come back there (nobody else knows the address). */
  private async poll(): Promise<void> {
    const link = this.link;
    if (this.polling || !link || !this.loopix) return;
    this.polling = true;
    try {
      for (;;) {
        const messages = await link.fetch(FETCH_PAGE);
        for (const message of messages) {
          const read = this.loopix.receive(message);
          if (read.kind === 'loop') this.loops.back += 1;
        }
        link.acknowledge(messages);
        if (messages.length < FETCH_PAGE) break;
      }
      this.refresh();
    } catch (error) {
      if (this.link === link)
        this.lostLink(`the gateway link failed (${(error as Error).message})`);
    } finally {
      this.polling = false;
    }
  }
}
