/**
 * A directory authority (`hush directory`, specs/mixnet-sphinx/SPEC.md §10.4): it takes the
 * mixes' and gateways' signed descriptors for the coming epochs, builds each epoch's document
 * from them, signs it, and exchanges uploads and signatures with the network's other
 * authorities until the document carries the threshold of signatures. Agreement needs no
 * vote: an authority takes every valid upload a peer holds (each is signed by its mix), so
 * authorities that hold the same uploads build the same bytes; a document still below the
 * threshold is rebuilt when the uploads grow, and one at the threshold is final.
 *
 * An epoch's document is built once every configured node has uploaded, or, once the
 * epoch's cutoff (a quarter epoch before it starts) has passed, `settleMs` after the first
 * upload, with the mixes that came (a layer with none makes no document).
 *
 * HTTP, JSON:
 * - `POST /v1/descriptors` a `SignedMixDescriptor` → 200 `{ accepted: true }`, or 400/403 with
 *   `{ error: code, message }` (`malformed`, `bad-signature`, `unknown-node`, `wrong-epoch`);
 * - `GET /v1/descriptors/<epoch>` → the uploads it holds;
 * - `GET /v1/documents/<epoch>` → `{ document, signatures }`, 404 before it is built;
 * - `GET /v1/network` → the network configuration.
 */

import { secp256k1Verifier } from '@hush/crypto';
import { type Clock, type Logger, type Store, silentLogger, systemClock } from '@hush/interface';
import {
  buildDirectory,
  DirectoryError,
  decodeDirectory,
  encodeDirectory,
  encodeNetworkConfig,
  epochAt,
  epochStart,
  type MixDescriptorUpload,
  missingNodes,
  type NetworkConfig,
  type SignedDirectory,
  type SignedMixDescriptor,
  signDirectory,
  verifyDirectory,
  verifyMixDescriptor,
} from '@hush/mixnet-sphinx';
import { ed25519 } from '@noble/curves/ed25519.js';
import Fastify from 'fastify';

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
  /** The document it holds for an epoch, if built. */
  document(epoch: number): Promise<SignedDirectory | undefined>;
  stop(): Promise<void>;
}

const EPOCH_DIGITS = 12;
const pad = (epoch: number) => epoch.toString().padStart(EPOCH_DIGITS, '0');
const uploadKey = (epoch: number, identity: string) => `dir/upload/${pad(epoch)}/${identity}`;
const documentKey = (epoch: number) => `dir/document/${pad(epoch)}`;
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
    const prefix = `dir/upload/${pad(epoch)}/`;
    for await (const [, value] of store.range({ gte: prefix, lt: `${prefix}~` })) {
      const upload = JSON.parse(decoder.decode(value)) as SignedMixDescriptor;
      out.push({ ...verifyMixDescriptor(upload, verifier), upload, body: upload.body });
    }
    return out;
  };

  const documentOf = async (epoch: number): Promise<SignedDirectory | undefined> => {
    const held = await store.get(documentKey(epoch));
    return held ? (JSON.parse(decoder.decode(held)) as SignedDirectory) : undefined;
  };

  /**
   * Keeps a verified upload: of two from one node for one epoch, the one whose body sorts
   * first, as every authority does.
   *
   * @returns whether it changed what the authority holds
   */
  const keep = async (upload: SignedMixDescriptor): Promise<boolean> => {
    let verified: MixDescriptorUpload;
    try {
      verified = verifyMixDescriptor(upload, verifier);
    } catch (error) {
      const code = error instanceof DirectoryError ? error.code : 'malformed';
      throw new Refusal(400, code, (error as Error).message);
    }
    const identity = bytesToHex(verified.descriptor.identity);
    if (!configured.has(identity))
      throw new Refusal(403, 'unknown-node', 'this identity is not a node of the network');
    const now = epochAt(clock.now(), network.epochMs);
    if (verified.epoch < now || verified.epoch > now + 2)
      throw new Refusal(400, 'wrong-epoch', `uploads are for epochs ${now} … ${now + 2}`);
    const key = uploadKey(verified.epoch, identity);
    const held = await store.get(key);
    if (held) {
      const body = (JSON.parse(decoder.decode(held)) as SignedMixDescriptor).body;
      if (body <= upload.body) return false;
    }
    await store.put(
      key,
      encoder.encode(JSON.stringify({ body: upload.body, signature: upload.signature })),
    );
    if (!firstUpload.has(verified.epoch)) firstUpload.set(verified.epoch, clock.now());
    return true;
  };

  const peerGet = async (url: string): Promise<unknown> => {
    const response = await fetch(url, { signal: AbortSignal.timeout(Math.max(1000, tickMs)) });
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
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
    // Every valid upload a peer holds, so that the authorities hold the same.
    for (const peer of peers) {
      try {
        const uploads = (await peerGet(`${peer.url}/v1/descriptors/${epoch}`)) as
          | SignedMixDescriptor[]
          | undefined;
        for (const upload of Array.isArray(uploads) ? uploads.slice(0, configured.size * 2) : [])
          await keep(upload).catch(() => false);
      } catch (error) {
        logger.debug({ peer: peer.url, reason: String(error) }, 'directory: peer uploads');
      }
    }
    let held = await documentOf(epoch);
    const signatures = held ? validSignatures(held, held.document) : new Map();
    if (held && signatures.size >= network.threshold) {
      // Final: only more signatures of the same bytes are added.
    } else {
      const uploads = await uploadsOf(epoch);
      const now = clock.now();
      const cutoff = epochStart(epoch, network.epochMs) - network.epochMs / 4;
      const first = firstUpload.get(epoch) ?? now;
      const ready =
        missingNodes(network, epoch, uploads).length === 0 ||
        (now >= cutoff && now >= first + settleMs);
      const built = ready ? buildDirectory(network, epoch, uploads) : undefined;
      if (built) {
        const text = encodeDirectory(built);
        if (!held || held.document !== text) {
          held = signDirectory(text, options.secretKey);
          await store.put(documentKey(epoch), encoder.encode(JSON.stringify(held)));
          logger.info(
            { epoch, mixes: built.layers.flat().length, gateways: built.gateways.length },
            'directory: document built and signed',
          );
        }
      }
    }
    if (!held) return;
    // The peers' signatures of the same bytes.
    const merged = validSignatures(held, held.document);
    const before = merged.size;
    for (const peer of peers) {
      try {
        const theirs = (await peerGet(`${peer.url}/v1/documents/${epoch}`)) as
          | SignedDirectory
          | undefined;
        if (theirs) for (const [k, s] of validSignatures(theirs, held.document)) merged.set(k, s);
      } catch (error) {
        logger.debug({ peer: peer.url, reason: String(error) }, 'directory: peer document');
      }
    }
    if (merged.size > before) {
      held = { document: held.document, signatures: [...merged.values()] };
      await store.put(documentKey(epoch), encoder.encode(JSON.stringify(held)));
      if (before < network.threshold && merged.size >= network.threshold)
        logger.info({ epoch, signatures: merged.size }, 'directory: document published');
    }
  };

  const prune = async (epoch: number) => {
    const stale: string[] = [];
    for (const prefix of ['dir/upload/', 'dir/document/'])
      for await (const [key] of store.range({ gte: prefix, lt: `${prefix}${pad(epoch)}` }))
        stale.push(key);
    if (stale.length > 0) await store.batch(stale.map((key) => ({ type: 'del' as const, key })));
    for (const e of [...firstUpload.keys()]) if (e < epoch) firstUpload.delete(e);
  };

  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = running.then(async () => {
      if (stopped) return;
      const now = epochAt(clock.now(), network.epochMs);
      for (const epoch of [now, now + 1, now + 2]) {
        try {
          await tickEpoch(epoch);
        } catch (error) {
          logger.warn({ epoch, reason: String(error) }, 'directory: epoch');
        }
      }
      // Documents of the last two epochs stay: packets made under them may still be in flight.
      await prune(now - 2).catch((error) =>
        logger.warn({ reason: String(error) }, 'directory: prune'),
      );
    });
  };

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
    if (accepted) tick();
    return { accepted: true };
  });
  http.get('/v1/descriptors/:epoch', async (request) => {
    const epoch = epochParam((request.params as { epoch: string }).epoch);
    return (await uploadsOf(epoch)).map((u) => u.upload);
  });
  http.get('/v1/documents/:epoch', async (request, reply) => {
    const epoch = epochParam((request.params as { epoch: string }).epoch);
    const held = await documentOf(epoch);
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
  const timer = clock.setInterval(tick, tickMs);
  tick();
  logger.info(
    { url: `http://${host}:${port}`, peers: peers.length },
    'directory: authority running',
  );
  return {
    url: `http://${host}:${port}`,
    publicKey,
    document: documentOf,
    async stop() {
      stopped = true;
      clock.clearInterval(timer);
      await running;
      await http.close();
    },
  };
}
