/**
 * specs/mixnet-sphinx/SPEC.md §10: the directory document round-trips through its canonical
 * JSON; it verifies only with a threshold of distinct known authorities' valid signatures and
 * within its validity; a bad, missing, repeated or unknown signature and a malformed document
 * are refused with their codes.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import {
  type DirectoryDocument,
  decodeDirectory,
  encodeDirectory,
  mixNodeId,
  signDirectory,
  verifyDirectory,
} from '../src/index.js';

const mix = (n: number) => ({
  id: mixNodeId(new Uint8Array(64).fill(n)),
  identity: new Uint8Array(64).fill(n),
  publicKey: new Uint8Array(32).fill(n + 100),
  endpoints: [`ws://127.0.0.1:${40000 + n}`],
});
const document: DirectoryDocument = {
  version: 1,
  epoch: 7,
  validFrom: 1_000,
  validUntil: 2_000,
  layers: [
    [mix(1), mix(2), mix(3)],
    [mix(4), mix(5), mix(6)],
    [mix(7), mix(8), mix(9)],
  ],
  gateways: [mix(10)],
  sphinx: { hops: 5, userPayloadLength: 2048 },
  parameters: { lambdaP: 0.5, lambdaL: 0.5, lambdaD: 0.5, lambdaM: 0.5, meanDelayMs: 500 },
};
const authorities = [1, 2, 3].map((n) => new Uint8Array(32).fill(n));
const publics = authorities.map((a) => ed25519.getPublicKey(a));

describe('§10 directory', () => {
  it('round-trips through its canonical JSON', () => {
    const text = encodeDirectory(document);
    expect(decodeDirectory(text)).toEqual(document);
    expect(encodeDirectory(decodeDirectory(text))).toBe(text);
  });

  it('verifies with a threshold of distinct known authorities, within its validity', () => {
    let signed = signDirectory(encodeDirectory(document), authorities[0]!);
    expect(() => verifyDirectory(signed, publics, 2, 1500)).toThrow(
      expect.objectContaining({ code: 'too-few-signatures' }),
    );
    // The same authority twice still counts once.
    signed = signDirectory(signed, authorities[0]!);
    expect(signed.signatures).toHaveLength(1);
    signed = signDirectory(signed, authorities[1]!);
    expect(verifyDirectory(signed, publics, 2, 1500)).toEqual(document);
    expect(() => verifyDirectory(signed, publics, 2, 999)).toThrow(
      expect.objectContaining({ code: 'not-yet-valid' }),
    );
    expect(() => verifyDirectory(signed, publics, 2, 2000)).toThrow(
      expect.objectContaining({ code: 'expired' }),
    );
    expect(() => verifyDirectory(signed, publics, 4, 1500)).toThrow(RangeError);
  });

  it('counts no bad, unknown or repeated signature, and no signature of another document', () => {
    const text = encodeDirectory(document);
    const good = signDirectory(signDirectory(text, authorities[0]!), authorities[1]!);
    const flipped = good.signatures[1]!.signature.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const bad = {
      document: text,
      signatures: [good.signatures[0]!, { ...good.signatures[1]!, signature: flipped }],
    };
    expect(() => verifyDirectory(bad, publics, 2, 1500)).toThrow(
      expect.objectContaining({ code: 'too-few-signatures' }),
    );
    const repeated = { document: text, signatures: [good.signatures[0]!, good.signatures[0]!] };
    expect(() => verifyDirectory(repeated, publics, 2, 1500)).toThrow(
      expect.objectContaining({ code: 'too-few-signatures' }),
    );
    const stranger = signDirectory(
      signDirectory(text, authorities[0]!),
      new Uint8Array(32).fill(9),
    );
    expect(() => verifyDirectory(stranger, publics, 2, 1500)).toThrow(
      expect.objectContaining({ code: 'too-few-signatures' }),
    );
    const other = encodeDirectory({ ...document, epoch: 8 });
    const moved = { document: other, signatures: good.signatures };
    expect(() => verifyDirectory(moved, publics, 1, 1500)).toThrow(
      expect.objectContaining({ code: 'too-few-signatures' }),
    );
    expect(() => verifyDirectory({ document: text, signatures: [] }, publics, 1, 1500)).toThrow(
      expect.objectContaining({ code: 'too-few-signatures' }),
    );
  });

  it('refuses malformed documents', () => {
    const text = encodeDirectory(document);
    const json = JSON.parse(text);
    for (const broken of [
      'not json',
      JSON.stringify({ ...json, version: 2 }),
      JSON.stringify({ ...json, layers: [] }),
      JSON.stringify({ ...json, layers: [[]] }),
      JSON.stringify({ ...json, validUntil: 500 }),
      JSON.stringify({ ...json, gateways: [json.layers[0][0]] }),
      JSON.stringify({ ...json, layers: [[{ ...json.layers[0][0], publicKey: 'ab' }]] }),
      JSON.stringify({ ...json, layers: [[{ ...json.layers[0][0], endpoints: ['http://x'] }]] }),
      JSON.stringify({ ...json, parameters: { ...json.parameters, lambdaP: 0 } }),
      JSON.stringify({ ...json, gateways: [] }),
      JSON.stringify({ ...json, sphinx: { hops: 4, userPayloadLength: 2048 } }),
      JSON.stringify({ ...json, sphinx: { hops: 5, userPayloadLength: 0 } }),
      // An id that is not SHA-256 of the identity beside it.
      JSON.stringify({ ...json, gateways: [{ ...json.gateways[0], id: json.layers[0][0].id }] }),
    ])
      expect(() => decodeDirectory(broken), broken.slice(0, 60)).toThrow(
        expect.objectContaining({ code: 'malformed' }),
      );
  });
});
