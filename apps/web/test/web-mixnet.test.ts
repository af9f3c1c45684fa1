/**
 * specs/web/SPEC.md §9.1–§9.2 in Node: `/hush-web.json`'s `mixnet` field is parsed with the
 * network file's own parser (null or absent reads as null, anything bad is `bad-config`), and a
 * directory the node serves is taken only when it verifies in the page: the threshold of the
 * network's authorities, of the epoch asked for, of the network's geometry, at most 4 MiB.
 */
import {
  type DirectoryDocument,
  encodeDirectory,
  encodeNetworkConfig,
  formatMixnetAddress,
  mixNodeId,
  parseNetworkConfig,
  type SignedDirectory,
  signDirectory,
} from '@hush/mixnet-sphinx';
import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { parseWebConfig } from '../src/config.js';
import { fetchVerifiedDocument } from '../src/mixnet.js';

const EPOCH_MS = 60_000;
const EPOCH = 7;
const START = EPOCH * EPOCH_MS;

const mix = (n: number) => ({
  id: mixNodeId(new Uint8Array(64).fill(n)),
  identity: new Uint8Array(64).fill(n),
  publicKey: new Uint8Array(32).fill(n + 100),
  endpoints: [`ws://127.0.0.1:${40000 + n}`],
});
const document = (epoch = EPOCH, userPayloadLength = 2048): DirectoryDocument => ({
  version: 1,
  epoch,
  validFrom: epoch * EPOCH_MS,
  validUntil: (epoch + 1) * EPOCH_MS + 10_000,
  layers: [[mix(1)], [mix(2)], [mix(3)]],
  gateways: [mix(10)],
  sphinx: { hops: 5, userPayloadLength },
  parameters: { lambdaP: 1, lambdaL: 1, lambdaD: 1, lambdaM: 1, meanDelayMs: 10 },
});
const secrets = [1, 2, 3].map((n) => new Uint8Array(32).fill(n));
const authorityKeys = secrets
  .map((s) => signDirectory(encodeDirectory(document()), s))
  .map((signed) => signed.signatures[0]!.authority);
const networkJson = encodeNetworkConfig(
  parseNetworkConfig({
    epochMs: EPOCH_MS,
    sphinx: { hops: 5, userPayloadLength: 2048 },
    parameters: { lambdaP: 1, lambdaL: 1, lambdaD: 1, lambdaM: 1, meanDelayMs: 10 },
    authorities: authorityKeys.map((publicKey, i) => ({
      publicKey,
      url: `http://127.0.0.1:${9000 + i}`,
    })),
    threshold: 2,
    layers: [1, 2, 3].map((n) => [bytesToHex(new Uint8Array(64).fill(n))]),
    gateways: [bytesToHex(new Uint8Array(64).fill(10))],
  }),
);
const exit = formatMixnetAddress({ id: new Uint8Array(32).fill(5), gateway: mix(10).id });

const base = {
  version: 1,
  gossip: `ws://127.0.0.1:30303#${'ab'.repeat(32)}`,
  gossipPublicKey: `0x04${'cd'.repeat(64)}`,
  minPow: 0.2,
  maxMessageSize: 1024 * 1024,
  dht: null,
  mailserver: null,
  relay: null,
  stun: [],
};
const config = parseWebConfig({ ...base, mixnet: { network: networkJson, exit } }).mixnet!;

/** Signed by the given authorities (by index). */
const signedBy = (doc: DirectoryDocument | string, who: number[]): SignedDirectory => {
  let signed: SignedDirectory | string = typeof doc === 'string' ? doc : encodeDirectory(doc);
  for (const i of who) signed = signDirectory(signed, secrets[i]!);
  return signed as SignedDirectory;
};

/** A fetch that answers one body (or status) and records the URL asked. */
function answering(body: string | number): { fetch: typeof fetch; asked: string[] } {
  const asked: string[] = [];
  const fake = (async (url: string | URL) => {
    asked.push(String(url));
    return typeof body === 'number'
      ? new Response('not found\n', { status: body })
      : new Response(body, { headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  return { fetch: fake, asked };
}

const read = (body: string | number, epoch = EPOCH) => {
  const { fetch, asked } = answering(body);
  return {
    asked,
    result: fetchVerifiedDocument(config, epoch, { fetch, now: START }),
  };
};

describe('§9.1 the mixnet field of /hush-web.json', () => {
  it('reads null or absent as null, and a network file with an exit as such', () => {
    expect(parseWebConfig({ ...base, mixnet: null }).mixnet).toBeNull();
    expect(parseWebConfig(base).mixnet).toBeNull();
    expect(config.network.threshold).toBe(2);
    expect(config.network.authorities.map((a) => bytesToHex(a.publicKey))).toEqual(authorityKeys);
    expect(formatMixnetAddress(config.exit)).toBe(exit);
  });

  it('refuses a bad network file or exit as bad-config', () => {
    for (const mixnet of [
      'yes',
      { network: networkJson },
      { network: networkJson, exit: 'nowhere' },
      { network: { ...networkJson, threshold: 1 }, exit },
      { network: { ...networkJson, authorities: [] }, exit },
    ])
      expect(() => parseWebConfig({ ...base, mixnet }), JSON.stringify(mixnet)).toThrow(
        expect.objectContaining({ code: 'bad-config', message: expect.stringMatching(/mixnet/) }),
      );
  });
});

describe('§9.2 a directory the node serves is verified in the page', () => {
  it('takes a document the threshold signed, asking the node’s /mixnet/documents/<epoch>', async () => {
    const { asked, result } = read(JSON.stringify(signedBy(document(), [0, 2])));
    expect((await result)?.epoch).toBe(EPOCH);
    expect(asked).toEqual([`/mixnet/documents/${EPOCH}`]);
  });

  it('answers undefined when the node holds none (404)', async () => {
    await expect(read(404).result).resolves.toBeUndefined();
  });

  it('refuses what does not verify: too few signatures, an altered document, another epoch, another geometry, too long', async () => {
    const good = signedBy(document(), [0, 1]);
    const cases: [string, string | number, RegExp][] = [
      ['one signature', JSON.stringify(signedBy(document(), [0])), /does not verify/],
      [
        'altered after signing',
        JSON.stringify({
          ...good,
          document: good.document.replace('ws://127.0.0.1:40010', 'ws://evil:1'),
        }),
        /does not verify/,
      ],
      ['another epoch', JSON.stringify(signedBy(document(EPOCH + 1), [0, 1])), /epoch 8/],
      ['another geometry', JSON.stringify(signedBy(document(EPOCH, 1024), [0, 1])), /geometry/],
      ['not JSON', '<html>', /not a signed directory/],
      ['not the shape', JSON.stringify({ document: 1 }), /not \{document, signatures\}/],
      ['over 4 MiB', JSON.stringify({ ...good, pad: 'x'.repeat(4 * 1024 * 1024) }), /longer than/],
      ['a server error', 500, /answered 500/],
    ];
    for (const [name, body, message] of cases)
      await expect(read(body).result, name).rejects.toThrow(
        expect.objectContaining({
          code: 'mixnet-unavailable',
          message: expect.stringMatching(message),
        }),
      );
  });
});
