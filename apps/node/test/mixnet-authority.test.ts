/**
 * specs/mixnet-sphinx/SPEC.md §10.1–§10.4: directory authorities over real HTTP. Three of them
 * (threshold 2) agree on one document although every mix uploaded to one authority only; two
 * of three still publish when one is down; uploads that are malformed, badly signed, from a
 * stranger or for a wrong epoch are refused with their codes; and a client refuses, and
 * counts, a document with a bad, missing or too few signatures, or of another epoch.
 */
import { createServer, type Server } from 'node:http';
import { secp256k1Identity, secp256k1Verifier } from '@hush/crypto';
import { ManualClock, MemoryMetrics, MemoryStore } from '@hush/interface';
import { waitFor } from '@hush/interface-compliance';
import {
  buildDirectory,
  encodeDirectory,
  encodeNetworkConfig,
  epochAt,
  epochLabel,
  fetchDirectory,
  type NetworkConfig,
  parseNetworkConfig,
  type SignedMixDescriptor,
  signDirectory,
  signMixDescriptor,
  verifyMixDescriptor,
} from '@hush/mixnet-sphinx';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { afterEach, describe, expect, it } from 'vitest';
import { type Authority, startAuthority } from '../src/mixnet/authority.js';

const EPOCH_MS = 60_000;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const mixes = Array.from({ length: 4 }, (_, i) =>
  secp256k1Identity(new Uint8Array(32).fill(i + 1)),
);
const secrets = [1, 2, 3].map((n) => new Uint8Array(32).fill(100 + n));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function networkOf(urls?: string[], count = 3): Promise<NetworkConfig> {
  const chosen = secrets.slice(0, count);
  const ports = urls ? [] : await Promise.all(chosen.map(() => freePort()));
  return parseNetworkConfig({
    epochMs: EPOCH_MS,
    sphinx: { hops: 5, userPayloadLength: 2048 },
    parameters: { lambdaP: 1, lambdaL: 1, lambdaD: 1, lambdaM: 1, meanDelayMs: 50 },
    authorities: chosen.map((s, i) => ({
      publicKey: hex(ed25519.getPublicKey(s)),
      url: urls?.[i] ?? `http://127.0.0.1:${ports[i]}`,
    })),
    threshold: Math.floor(count / 2) + 1,
    layers: [
      [hex(mixes[0]!.publicKey.subarray(1))],
      [hex(mixes[1]!.publicKey.subarray(1))],
      [hex(mixes[2]!.publicKey.subarray(1))],
    ],
    gateways: [hex(mixes[3]!.publicKey.subarray(1))],
  });
}

const uploadOf = (i: number, epoch: number) =>
  signMixDescriptor(mixes[i]!, epoch, {
    publicKey: x25519.getPublicKey(new Uint8Array(32).fill(i + 50)),
    endpoints: [`ws://127.0.0.1:${7000 + i}`],
  });

/** An upload as an authority holds it: verified, with its body. */
const verified = (upload: SignedMixDescriptor) => ({
  ...verifyMixDescriptor(upload, secp256k1Verifier()),
  body: upload.body,
});

async function post(url: string, body: unknown) {
  const response = await fetch(`${url}/v1/descriptors`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { error?: string } };
}

describe('directory authorities', () => {
  const running: Authority[] = [];
  afterEach(async () => {
    for (const a of running.splice(0)) await a.stop();
  });

  async function start(
    network: NetworkConfig,
    which: number[],
    given: { clock?: ManualClock; store?: MemoryStore } = {},
  ) {
    for (const i of which) {
      const url = new URL(network.authorities[i]!.url);
      running.push(
        await startAuthority({
          network,
          secretKey: secrets[i]!,
          store: given.store ?? new MemoryStore(),
          host: url.hostname,
          port: Number(url.port),
          tickMs: 200,
          ...(given.clock ? { clock: given.clock } : {}),
        }),
      );
    }
    return running.slice(-which.length);
  }

  it('agree on one document with the threshold of signatures, each mix having told one authority', async () => {
    const network = await networkOf();
    const authorities = await start(network, [0, 1, 2]);
    const epoch = epochAt(Date.now(), EPOCH_MS);
    // Each node uploads to one authority only; the others take its uploads from it.
    for (const i of [0, 1, 2, 3])
      expect((await post(authorities[i % 3]!.url, uploadOf(i, epoch))).status).toBe(200);
    await waitFor(async () => {
      const docs = await Promise.all(authorities.map((a) => a.document(epoch)));
      return docs.every((d) => d && d.signatures.length === 3 && d.document === docs[0]!.document);
    }, 'three signatures of the same bytes at every authority');
    const { document } = await fetchDirectory(network, epoch);
    expect(document.layers.map((l) => l.length)).toEqual([1, 1, 1]);
    expect(document.gateways[0]!.identity).toEqual(mixes[3]!.publicKey.subarray(1));
    expect(encodeNetworkConfig(network)).toEqual(
      await (await fetch(`${authorities[0]!.url}/v1/network`)).json(),
    );
  });

  it('two of three publish while the third is down', async () => {
    const network = await networkOf();
    const [a, b] = await start(network, [0, 1]);
    const epoch = epochAt(Date.now(), EPOCH_MS);
    for (const i of [0, 1, 2, 3]) await post(a!.url, uploadOf(i, epoch));
    await waitFor(
      async () => (await b!.document(epoch))?.signatures.length === 2,
      'two signatures',
    );
    const { document } = await fetchDirectory(network, epoch);
    expect(document.epoch).toBe(epoch);
  });

  it('sign a coming epoch once, at its cutoff, and never other bytes after', async () => {
    const network = await networkOf(undefined, 1);
    const epoch = epochAt(Date.now(), EPOCH_MS) + 1;
    const cutoff = epoch * EPOCH_MS - EPOCH_MS / 4;
    const clock = new ManualClock(cutoff - 5000);
    const [a] = await start(network, [0], { clock });
    for (const i of [0, 1, 2, 3]) await post(a!.url, uploadOf(i, epoch));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await a!.document(epoch)).toBeUndefined();
    clock.advance(5000);
    await waitFor(
      async () => (await a!.document(epoch)) !== undefined,
      'the document at the cutoff',
    );
    const signed = (await a!.document(epoch))!;
    // A later upload (the mix moved) is kept but changes nothing signed.
    const moved = signMixDescriptor(
      mixes[0]!,
      epoch,
      {
        publicKey: x25519.getPublicKey(new Uint8Array(32).fill(50)),
        endpoints: ['ws://127.0.0.1:9999'],
      },
      clock.now(),
    );
    expect((await post(a!.url, moved)).status).toBe(200);
    clock.advance(1000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await a!.document(epoch))!.document).toBe(signed.document);
    // An upload that says it was signed in the future is refused.
    const ahead = signMixDescriptor(
      mixes[1]!,
      epoch,
      { publicKey: new Uint8Array(32).fill(3), endpoints: ['ws://127.0.0.1:1'] },
      clock.now() + 120_000,
    );
    expect(await post(a!.url, ahead)).toMatchObject({ status: 400, body: { error: 'wrong-time' } });
  });

  it('serve the peers’ document when their own signed other bytes', async () => {
    const network = await networkOf();
    const [a, b] = await start(network, [0, 1]);
    const epoch = epochAt(Date.now(), EPOCH_MS);
    for (const i of [0, 1, 2, 3]) await post(a!.url, uploadOf(i, epoch));
    await waitFor(
      async () => (await b!.document(epoch))?.signatures.length === 2,
      'A and B publish',
    );
    const published = (await a!.document(epoch))!.document;
    // C signed, before it went down, a document of other bytes (a mix that moved).
    const uploads = [0, 1, 2, 3].map((i) =>
      verified(
        i === 0
          ? signMixDescriptor(mixes[0]!, epoch, {
              publicKey: x25519.getPublicKey(new Uint8Array(32).fill(50)),
              endpoints: ['ws://127.0.0.1:9999'],
            })
          : uploadOf(i, epoch),
      ),
    );
    const other = encodeDirectory(buildDirectory(network, epoch, uploads)!);
    expect(other).not.toBe(published);
    const store = new MemoryStore();
    await store.put(
      `dir/document/${epochLabel(epoch)}`,
      new TextEncoder().encode(JSON.stringify(signDirectory(other, secrets[2]!))),
    );
    const [c] = await start(network, [2], { store });
    // C never signs a second document, but serves the one that carries the threshold.
    await waitFor(async () => (await c.document(epoch))?.document === published, 'C serves it');
    const served = (await (await fetch(`${c.url}/v1/documents/${epoch}`)).json()) as {
      document: string;
    };
    expect(served.document).toBe(published);
    const own = JSON.parse(
      new TextDecoder().decode((await store.get(`dir/document/${epochLabel(epoch)}`))!),
    );
    expect(own.document).toBe(other);
  });

  it('refuse malformed, badly signed, stranger and wrong-epoch uploads with their codes', async () => {
    const network = await networkOf();
    const [a] = await start(network, [0]);
    const epoch = epochAt(Date.now(), EPOCH_MS);
    const good = uploadOf(0, epoch);
    const forged = { ...good, signature: uploadOf(1, epoch).signature };
    const stranger = signMixDescriptor(secp256k1Identity(new Uint8Array(32).fill(77)), epoch, {
      publicKey: new Uint8Array(32).fill(9),
      endpoints: ['ws://127.0.0.1:1'],
    });
    expect(await post(a!.url, { body: 'x', signature: 'y' })).toMatchObject({
      status: 400,
      body: { error: 'malformed' },
    });
    expect(await post(a!.url, '{not json')).toMatchObject({ status: 400 });
    expect(await post(a!.url, forged)).toMatchObject({
      status: 400,
      body: { error: 'bad-signature' },
    });
    expect(await post(a!.url, stranger)).toMatchObject({
      status: 403,
      body: { error: 'unknown-node' },
    });
    expect(await post(a!.url, uploadOf(0, epoch - 1))).toMatchObject({
      status: 400,
      body: { error: 'wrong-epoch' },
    });
    expect(await post(a!.url, uploadOf(0, epoch + 3))).toMatchObject({
      status: 400,
      body: { error: 'wrong-epoch' },
    });
    expect((await fetch(`${a!.url}/v1/documents/nope`)).status).toBe(400);
    expect((await fetch(`${a!.url}/v1/documents/${epoch}`)).status).toBe(404);
    expect(await post(a!.url, good)).toMatchObject({ status: 200 });
  });
});

describe('a client fetching a directory', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it('refuses and counts bad, missing and too few signatures, another epoch and junk', async () => {
    // One document, signed by authority 0 only, or by 0 and 1; served differently per URL.
    const answers = new Map<string, string | number>();
    server = createServer((request, response) => {
      const answer = answers.get(request.url!.split('/v1/')[0]!.slice(1)) ?? 404;
      if (typeof answer === 'number') response.writeHead(answer).end();
      else response.writeHead(200, { 'content-type': 'application/json' }).end(answer);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const network = await networkOf(
      ['bad', 'missing', 'few'].map((p) => `http://127.0.0.1:${port}/${p}`),
    );
    const epoch = epochAt(Date.now(), EPOCH_MS);
    // A document as the authorities would build it (via the module's own encoder).
    const doc = buildDirectory(
      network,
      epoch,
      [0, 1, 2, 3].map((i) => verified(uploadOf(i, epoch))),
    )!;
    const text = encodeDirectory(doc);
    const both = signDirectory(signDirectory(text, secrets[0]!), secrets[1]!);
    const flipped = both.signatures.map((s) => ({
      ...s,
      signature: s.signature.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')),
    }));
    answers.set('bad', JSON.stringify({ document: text, signatures: flipped }));
    answers.set('missing', JSON.stringify({ document: text }));
    answers.set('few', JSON.stringify(signDirectory(text, secrets[0]!)));
    const metrics = new MemoryMetrics();
    await expect(fetchDirectory(network, epoch, { metrics })).rejects.toMatchObject({
      code: 'unavailable',
    });
    expect(metrics.value('hush_directory_refused_total', { reason: 'too-few-signatures' })).toBe(3);
    // Junk, an HTTP error, another epoch's document.
    answers.set('bad', '{junk');
    answers.set('missing', 500);
    const other = encodeDirectory({
      ...doc,
      epoch: epoch + 1,
      validFrom: doc.validUntil,
      validUntil: doc.validUntil + EPOCH_MS,
    });
    answers.set(
      'few',
      JSON.stringify(signDirectory(signDirectory(other, secrets[0]!), secrets[2]!)),
    );
    await expect(fetchDirectory(network, epoch, { metrics })).rejects.toMatchObject({
      code: 'unavailable',
    });
    expect(metrics.value('hush_directory_refused_total', { reason: 'malformed' })).toBe(1);
    expect(metrics.value('hush_directory_refused_total', { reason: 'http' })).toBe(1);
    expect(metrics.value('hush_directory_refused_total', { reason: 'wrong-epoch' })).toBe(1);
    // And the good one is taken.
    answers.set('missing', JSON.stringify(both));
    expect((await fetchDirectory(network, epoch, { metrics })).document).toEqual(doc);
  });
});
