/**
 * specs/web/SPEC.md §3.1–§3.2: a public channel's topic and key, derived as Status derives
 * them, checked against go-ethereum v1.8.27's own key-from-password vectors and Status'
 * published contact-discovery topic; names are canonicalised and bounded.
 */
import { readFileSync } from 'node:fs';
import { symKeyFromPassword } from '@hush/message';
import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  CONTACT_CARD_TOPIC,
  canonicalChannelName,
  MAX_CHANNEL_NAME_BYTES,
  ONE_TO_ONE_TOPIC,
  passwordKey,
  publicChannel,
  topicOfName,
} from '../src/channels.js';

const vectors = JSON.parse(
  readFileSync(
    new URL('../../../specs/whisper-v6/vectors/symkey-password.json', import.meta.url),
    'utf8',
  ),
) as { cases: { password: string; symKey: string }[] };

describe('§3.1 key from password (geth v1.8.27 vectors)', () => {
  for (const { password, symKey } of vectors.cases) {
    it(`WebCrypto PBKDF2 of ${JSON.stringify(password)} is geth's key`, async () => {
      expect(`0x${bytesToHex(await passwordKey(password))}`).toBe(symKey);
    });
  }
  it('equals @hush/message symKeyFromPassword (the shh_* path of the node)', async () => {
    expect(await passwordKey('status')).toEqual(symKeyFromPassword('status'));
  });
});

describe('§3.1 public channel', () => {
  it('topic is the first 4 bytes of Keccak-256 of the name', () => {
    // Status' contact-discovery topic, published in its Whisper usage spec as 0xf8946aac.
    expect(bytesToHex(ONE_TO_ONE_TOPIC)).toBe('f8946aac');
    expect(bytesToHex(topicOfName(''))).toBe('c5d24601'); // keccak256("") = c5d2460186f7…
  });
  it('derives topic and key from the canonical name', async () => {
    const channel = await publicChannel('  #status ');
    expect(channel.name).toBe('status');
    expect(channel.topic).toEqual(topicOfName('status'));
    expect(channel.symKey).toEqual(symKeyFromPassword('status'));
  });
  it('refuses empty and oversize names', async () => {
    expect(() => canonicalChannelName('  # ')).toThrow(RangeError);
    expect(() => canonicalChannelName('x'.repeat(MAX_CHANNEL_NAME_BYTES + 1))).toThrow(RangeError);
    await expect(publicChannel('')).rejects.toThrow(RangeError);
    expect(canonicalChannelName('é'.repeat(MAX_CHANNEL_NAME_BYTES / 2))).toHaveLength(128);
  });
  it('the contact-card topic is its own', () => {
    expect(CONTACT_CARD_TOPIC).not.toEqual(ONE_TO_ONE_TOPIC);
  });
});
