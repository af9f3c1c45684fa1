/**
 * A directory authority (`hush directory`, specs/mixnet-sphinx/SPEC.md §10.4): it takes the
 * mixes' and gateways' signed descriptors for the coming epochs, takes the uploads its peers
 * hold, builds each epoch's document from them, signs it once, and adds its peers' signatures
 * of the same bytes until the document carries the threshold.
 *
 * Safety: an authority signs at most one document per epoch (what it signed is kept in its
 * store, across restarts), and the threshold is a majority of the authorities, so no two
 * different documents of one epoch can both carry it. Agreement without a vote: every
 * authority takes every valid upload any peer holds (each is signed by its mix) until it
 * signs, and signs late enough for the uploads to have spread — for a coming epoch not before
 * its cutoff (a quarter epoch before it starts); for the epoch under way (a network starting)
 * once every configured node has uploaded, or a settling time after the first upload it
 * holds. Authorities that signed different bytes make no document that epoch; when a peer's
 * document carries the threshold, an authority serves that one.
 *
 * HTTP, JSON:
 * - `POST /v1/descriptors` a `SignedMixDescriptor` → 200 `{ accepted: true }`, or 400/403 with
 *   `{ error: code, message }` (`malformed`, `bad-signature`, `unknown-node`, `wrong-epoch`,
 *   `wrong-time`);
 * - `GET /v1/descriptors/<epoch>` → the uploads it holds;
 * - `GET /v1/documents/<epoch>` → `{ document, signatures }`, 404 before it signed one;
 * - `GET /v1/network` → the network configuration.
 */
import { secp256k1Verifier } from '@hush/crypto';
import {
  type Clock,
  deleteRange,
  type Logger,
  type Store,
  silentLogger,
  systemClock,
} from '@hush/interface';
import {
  buildDirectory,
  DirectoryError,
  decodeDirectory,
  encodeDirectory,
  encodeNetworkConfig,
  epochAt,
  epochLabel,
  epochStart,
  type MixDescriptorUpload,
  missingNodes,
  type NetworkConfig,
  preferredUpload,
  readCappedText,
  type SignedDirectory,
  type SignedMixDescriptor,
  signDirectory,
  verifyDirectory,
  verifyMixDescriptor,
} from '@hush/mixnet-sphinx';
import { ed25519 } from '@noble/curves/ed25519.js';
import Fastify from 'fastify';
import { coalescingTicker } from './ticker.js';

/** How an authority runs. */
export interface AuthorityOptions {
  readonly network: NetworkConfig;
  /** Its ed25519 secret key (32 bytes); its public key must be one of the network's. */
  readonly secretKey: Uint8Array;
  readonly store: Store;
  readonly host: string;
  readonly port: number;
  /** How often it looks at its epochs and its peers (default epochMs / 20, at most 2 s). */
  readonly tickMs?: number;
  /** The wait after the first upload of a late epoch (default epochMs / 10, at most 10 s). */
  readonly settleMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** A running authority. */
export interface Authority {
  readonly url: string;
  readonly publicKey: Uint8Array;
  /**
   * The document it serves for an epoch (its own, or a peer's that carries the threshold when
   * its own does not), if any.
   */
  document(epoch: number): Promise<SignedDirectory | undefined>;
  stop(): Promise<void>;
}

const uploadKey = (epoch: number, identity: string) =>
  `dir/upload/${epochLabel(epoch)}/${identity}`;
const documentKey = (epoch: number) => `dir/document/${epochLabel(epoch)}`;
/** A peer's document that carries the threshold, when this authority's own does not. */
const finalKey = (epoch: number) => `dir/final/${epochLabel(epoch)}`;
/** The most bytes of a peer's answer read. */
const MAX_PEER_ANSWER = 4 * 1024 * 1024;
/** How far ahead of this authority's clock an upload may say it was signed. */
const MAX_CLOCK_SKEW_MS = 60_000;
const encoder = new TextEncoder();
const bytesToHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const decoder = new TextDecoder();

/**
 * The authority's ed25519 secret key kept in the store, created on first use.
 *
 * @throws what the store throws; Error for a stored key that is not 32 bytes
 */
export async function loadAuthorityKey(store: Store): Promise<Uint8Array> {
  const held = await store.get('dir/authority-key');
  if (held) {
    if (held.length !== 32) throw new Error('the stored authority key is not 32 bytes');
    return held;
  }
  const key = ed25519.utils.randomSecretKey();
  await store.put('dir/authority-key', key);
  return key;
}

/** An HTTP error answer. */
class Refusal extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * Starts an authority: its HTTP server and its epoch loop.
 *
 * @throws Error when its key is not one of the network's authorities; what fastify throws
 *   when the port cannot be bound
 */
export async function startAuthority(options: AuthorityOptions): Promise<Authority> {
  const { network, store } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const verifier = secp256k1Verifier();
  const publicKey = ed25519.getPublicKey(options.secretKey);
  const self = network.authorities.find((a) => bytesToHex(a.publicKey) === bytesToHex(publicKey));
  if (!self) throw new Error(`this authority (${bytesToHex(publicKey)}) is not in the network`);
  const peers = network.authorities.filter((a) => a !== self);
  const authorityKeys = network.authorities.map((a) => a.publicKey);
  const configured = new Set(
    [...network.layers.flat(), ...network.gateways].map((x) => bytesToHex(x)),
  );
  const tickMs = options.tickMs ?? Math.min(2000, network.epochMs / 20);
  const settleMs = options.settleMs ?? Math.min(10_000, network.epochMs / 10);
  /** When the first upload of each epoch arrived. */
  const firstUpload = new Map<number, number>();

  const uploadsOf = async (epoch: number) => {
    const out: (MixDescriptorUpload & { upload: SignedMixDescriptor; body: string })[] = [];
    const prefix = `dir/upload/${epochLabel(epoch)}/`;
    for await (const [, value] of store.range({ gte: prefix, lt: `${prefix}~` })) {
      const upload = JSON.parse(decoder.decode(value)) as SignedMixDescriptor;
      out.push({ ...verifyMixDescriptor(upload, verifier), upload, body: upload.body });
    }
    return out;
  };

  /**
   * What it serves for an epoch: its own document, or, while that is below the threshold, a
   * peer's document that carries it.
   */
  const servedDocument = async (epoch: number): Promise<SignedDirectory | undefined> => {
    const own = await documentOf(epoch);
    if (own && validSignatures(own, own.document).size >= network.threshold) return own;
    const final = await store.get(finalKey(epoch));
    return final ? (JSON.parse(decoder.decode(final)) as SignedDirectory) : own;
  };

  const documentOf = async (epoch: number): Promise<SignedDirectory | undefined> => {
    const held = await store.get(documentKey(epoch));
    return held ? (JSON.parse(decoder.decode(held)) as SignedDirectory) : undefined;
  };

  /** Uploads of one node and epoch are decided one after another. */
  const keeping = new Map<string, Promise<unknown>>();

  /**
   * Keeps a verified upload: of two from one node for one epoch, the one
   * `preferredUpload` picks, as every authority does.
   *
   * @returns whether it changed what the authority holds
   * @throws Refusal for an upload that is not one of the network's nodes' for a coming epoch
   */
  const keep = (upload: SignedMixDescriptor): Promise<boolean> => {
    let verified: MixDescriptorUpload;
    try {
      verified = verifyMixDescriptor(upload, verifier);
    } catch (error) {
      const code = error instanceof DirectoryError ? error.code : 'malformed';
      return Promise.reject(new Refusal(400, code, (error as Error).message));
    }
    const identity = bytesToHex(verified.descriptor.identity);
    if (!configured.has(identity))
      return Promise.reject(
        new Refusal(403, 'unknown-node', 'this identity is not a node of the network'),
      );
    const now = epochAt(clock.now(), network.epochMs);
    if (verified.epoch < now || verified.epoch > now + 2)
      return Promise.reject(
        new Refusal(400, 'wrong-epoch', `uploads are for epochs ${now} … ${now + 2}`),
      );
    if (verified.issuedAt > clock.now() + MAX_CLOCK_SKEW_MS)
      return Promise.reject(
        new Refusal(400, 'wrong-time', 'the upload says it was signed in the future'),
      );
    const key = uploadKey(verified.epoch, identity);
    const run = (keeping.get(key) ?? Promise.resolve()).then(async () => {
      const held = await store.get(key);
      if (held) {
        const heldUpload = JSON.parse(decoder.decode(held)) as SignedMixDescriptor;
        const heldVerified = verifyMixDescriptor(heldUpload, verifier);
        if (
          !preferredUpload(
            { ...verified, body: upload.body },
            { ...heldVerified, body: heldUpload.body },
          )
        )
          return false;
      }
      await store.put(
        key,
        encoder.encode(JSON.stringify({ body: upload.body, signature: upload.signature })),
      );
      if (!firstUpload.has(verified.epoch)) firstUpload.set(verified.epoch, clock.now());
      return true;
    });
    const tail = run.catch(() => {});
    keeping.set(key, tail);
    void tail.then(() => {
      if (keeping.get(key) === tail) keeping.delete(key);
    });
    return run;
  };

  const peerGet = async (url: string): Promise<unknown> => {
    const response = await fetch(url, { signal: AbortSignal.timeout(Math.max(1000, tickMs)) });
    if (!response.ok) {
      await response.body?.cancel();
      if (response.status === 404) return undefined;
      throw new Error(`HTTP ${response.status}`);
    }
    return JSON.parse(await readCappedText(response, MAX_PEER_ANSWER));
  };

  /** Signatures of `document` that verify, by authority. */
  const validSignatures = (signed: SignedDirectory, document: string) => {
    const out = new Map<string, { authority: string; signature: string }>();
    if (signed.document !== document || !Array.isArray(signed.signatures)) return out;
    const at = decodeDirectory(document).validFrom;
    for (const s of signed.signatures) {
      const known = authorityKeys.find((k) => bytesToHex(k) === s?.authority);
      if (!known) continue;
      try {
        verifyDirectory({ document, signatures: [s] }, [known], 1, at);
        out.set(s.authority, { authority: s.authority, signature: s.signature });
      } catch {
        // Not a valid signature of this document: it counts for nothing.
      }
    }
    return out;
  };

  const tickEpoch = async (epoch: number) => {
    let held = await documentOf(epoch);
    if (!held) {
      // Every valid upload a peer holds, so that the authorities hold the same when they sign.
      await Promise.allSettled(
        peers.map(async (peer) => {
          const uploads = (await peerGet(`${peer.url}/v1/descriptors/${epoch}`)) as
            | SignedMixDescriptor[]
            | undefined;
          for (const upload of Array.isArray(uploads) ? uploads.slice(0, configured.size * 2) : [])
            await keep(upload).catch(() => false);
        }),
      );
      const uploads = await uploadsOf(epoch);
      const now = clock.now();
      // After a restart the uploads are in the store: the settling time counts from now.
      if (uploads.length > 0 && !firstUpload.has(epoch)) firstUpload.set(epoch, now);
      const first = firstUpload.get(epoch) ?? Number.POSITIVE_INFINITY;
      const complete = missingNodes(network, epoch, uploads).length === 0;
      const settled = now >= first + settleMs;
      const underWay = epoch <= epochAt(now, network.epochMs);
      const cutoff = epochStart(epoch, network.epochMs) - network.epochMs / 4;
      const ready = underWay ? complete || settled : now >= cutoff && (complete || settled);
      const built = ready ? buildDirectory(network, epoch, uploads) : undefined;
      if (!built) return;
      // Signed once: what this authority signs for an epoch it never takes back.
      held = signDirectory(encodeDirectory(built), options.secretKey);
      await store.put(documentKey(epoch), encoder.encode(JSON.stringify(held)));
      logger.info(
        { epoch, mixes: built.layers.flat().length, gateways: built.gateways.length },
        'directory: document built and signed',
      );
    }
    const own = held;
    const merged = validSignatures(own, own.document);
    const before = merged.size;
    const answers = await Promise.allSettled(
      peers.map(
        (peer) =>
          peerGet(`${peer.url}/v1/documents/${epoch}`) as Promise<SignedDirectory | undefined>,
      ),
    );
    let adopted: SignedDirectory | undefined;
    for (const answer of answers) {
      if (
        answer.status !== 'fulfilled' ||
        !answer.value ||
        typeof answer.value.document !== 'string'
      )
        continue;
      const theirs = answer.value;
      if (theirs.document === own.document) {
        for (const [k, sig] of validSignatures(theirs, own.document)) merged.set(k, sig);
      } else if (before < network.threshold && !adopted) {
        // Another document: served instead of ours only when it carries the threshold.
        try {
          verifyDirectory(
            theirs,
            authorityKeys,
            network.threshold,
            decodeDirectory(theirs.document).validFrom,
          );
          if (decodeDirectory(theirs.document).epoch === epoch) adopted = theirs;
        } catch {
          // Below the threshold, or not a document: it counts for nothing.
        }
      }
    }
    if (merged.size > before) {
      await store.put(
        documentKey(epoch),
        encoder.encode(
          JSON.stringify({ document: own.document, signatures: [...merged.values()] }),
        ),
      );
      if (before < network.threshold && merged.size >= network.threshold)
        logger.info({ epoch, signatures: merged.size }, 'directory: document published');
    }
    if (merged.size < network.threshold && adopted && !(await store.get(finalKey(epoch)))) {
      await store.put(finalKey(epoch), encoder.encode(JSON.stringify(adopted)));
      logger.warn({ epoch }, 'directory: the peers published another document; serving theirs');
    }
  };

  const prune = async (epoch: number) => {
    for (const prefix of ['dir/upload/', 'dir/document/', 'dir/final/'])
      await deleteRange(store, { gte: prefix, lt: `${prefix}${epochLabel(epoch)}` });
    for (const e of [...firstUpload.keys()]) if (e < epoch) firstUpload.delete(e);
  };

  const ticker = coalescingTicker(
    async () => {
      const now = epochAt(clock.now(), network.epochMs);
      for (const epoch of [now, now + 1, now + 2]) {
        try {
          await tickEpoch(epoch);
        } catch (error) {
          logger.warn({ epoch, reason: String(error) }, 'directory: epoch');
        }
      }
      // Documents of the last two epochs stay: packets made under them may still be in flight.
      await prune(now - 2);
    },
    tickMs,
    clock,
    (error) => logger.warn({ reason: String(error) }, 'directory: tick'),
  );

  const http = Fastify({ bodyLimit: 16 * 1024, logger: false });
  http.setErrorHandler((error, _request, reply) => {
    if (error instanceof Refusal)
      return reply.code(error.status).send({ error: error.code, message: error.message });
    const status = (error as { statusCode?: number }).statusCode;
    if (status && status < 500)
      return reply.code(status).send({ error: 'malformed', message: (error as Error).message });
    logger.warn({ reason: String(error) }, 'directory: request failed');
    return reply.code(500).send({ error: 'failed', message: 'the authority failed' });
  });
  const epochParam = (value: unknown) => {
    const epoch = Number(value);
    if (!/^\d{1,12}$/.test(String(value)) || !Number.isSafeInteger(epoch))
      throw new Refusal(400, 'malformed', 'the epoch is a whole number');
    return epoch;
  };
  http.post('/v1/descriptors', async (request) => {
    const accepted = await keep(request.body as SignedMixDescriptor);
    if (accepted) ticker.tick();
    return { accepted: true };
  });
  http.get('/v1/descriptors/:epoch', async (request) => {
    const epoch = epochParam((request.params as { epoch: string }).epoch);
    return (await uploadsOf(epoch)).map((u) => u.upload);
  });
  http.get('/v1/documents/:epoch', async (request, reply) => {
    const epoch = epochParam((request.params as { epoch: string }).epoch);
    const held = await servedDocument(epoch);
    if (!held)
      return reply
        .code(404)
        .send({ error: 'not-built', message: `no document for epoch ${epoch} yet` });
    return held;
  });
  http.get('/v1/network', async () => encodeNetworkConfig(network));
  await http.listen({ host: options.host, port: options.port });
  const port = (http.server.address() as { port: number }).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  ticker.tick();
  logger.info(
    { url: `http://${host}:${port}`, peers: peers.length },
    'directory: authority running',
  );
  return {
    url: `http://${host}:${port}`,
    publicKey,
    document: servedDocument,
    async stop() {
      await ticker.stop();
      await http.close();
    },
  };
}
