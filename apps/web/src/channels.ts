/**
 * Conversation topics and keys (specs/web/SPEC.md §3): a public channel's topic and
 * symmetric key come from its name exactly as Status' public chats derive them, so a channel
 * made here and one made with `shh_*` on any Whisper v6 node talk to each other; 1:1
 * messages and contact cards go on fixed topics, ECIES-encrypted to the contact.
 */
import { keccak256 } from '@hush/keccak';
// geth's `keyIterations` (65,356): the same key as `symKeyFromPassword`, computed by WebCrypto.
import { PASSWORD_KEY_ITERATIONS } from '@hush/message';

/** A public channel: its name and what is derived from it. */
export interface PublicChannel {
  readonly name: string;
  /** The first 4 bytes of Keccak-256 of the name's UTF-8 bytes. */
  readonly topic: Uint8Array;
  /** PBKDF2-HMAC-SHA256 of the name, no salt, 65,356 iterations, 32 bytes. */
  readonly symKey: Uint8Array;
}

/** The longest channel name, in UTF-8 bytes. */
export const MAX_CHANNEL_NAME_BYTES = 256;

/**
 * The Whisper topic of a name: Keccak-256 of its UTF-8 bytes, first 4 bytes (Status'
 * dynamic topic).
 *
 * @throws TypeError if `name` is not a string
 */
export function topicOfName(name: string): Uint8Array {
  if (typeof name !== 'string') throw new TypeError('name must be a string');
  return keccak256(new TextEncoder().encode(name)).slice(0, 4);
}

/**
 * Checks a channel name: trimmed, non-empty, at most 256 UTF-8 bytes. Status names its chats
 * without the leading `#`, so a leading `#` is dropped here too.
 *
 * @returns the canonical name
 * @throws RangeError naming `name` when it is empty or too long
 */
export function canonicalChannelName(name: string): string {
  if (typeof name !== 'string') throw new TypeError('name must be a string');
  const canonical = name.trim().replace(/^#/, '');
  if (canonical.length === 0) throw new RangeError('name must not be empty');
  if (new TextEncoder().encode(canonical).length > MAX_CHANNEL_NAME_BYTES)
    throw new RangeError(`name must be at most ${MAX_CHANNEL_NAME_BYTES} bytes`);
  return canonical;
}

/**
 * Derives a public channel from its name. The key is geth's key from password, computed with
 * WebCrypto's PBKDF2 (native, off the main thread's hot path) rather than in JavaScript.
 *
 * @example
 * ```ts
 * const channel = await publicChannel('status');
 * // channel.topic: the topic shh_post uses; channel.symKey: shh_generateSymKeyFromPassword('status')
 * ```
 * @throws RangeError naming `name` when it is empty or too long
 */
export async function publicChannel(name: string): Promise<PublicChannel> {
  const canonical = canonicalChannelName(name);
  return { name: canonical, topic: topicOfName(canonical), symKey: await passwordKey(canonical) };
}

/**
 * geth's key from password (`shh_generateSymKeyFromPassword`): PBKDF2-HMAC-SHA256 of the
 * UTF-8 bytes, empty salt, 65,356 iterations, 32 bytes.
 *
 * @throws TypeError if `password` is not a string
 */
export async function passwordKey(password: string): Promise<Uint8Array> {
  if (typeof password !== 'string') throw new TypeError('password must be a string');
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(password),
    'PBKDF2',
    false,
    ['deriveBits'],
  );
  const bits = await crypto.subtle.deriveBits(
    {
      name: 'PBKDF2',
      hash: 'SHA-256',
      salt: new Uint8Array(0),
      iterations: PASSWORD_KEY_ITERATIONS,
    },
    key,
    256,
  );
  return new Uint8Array(bits);
}

/** Status' topic for 1:1 messages ("contact-discovery", 0xf8946aac): every 1:1 message shares it. */
export const ONE_TO_ONE_TOPIC = topicOfName('contact-discovery');

/** The topic of contact cards (a page's DHT inbox key, sent to each new contact). */
export const CONTACT_CARD_TOPIC = topicOfName('hush/contact-card/1');

/**
 * The topic of a DHT inbox deposit: its payload is a whole 1:1 envelope, sealed again to the
 * inbox's encryption key, so the message drained is the very envelope gossip carried (one
 * hash, shown once) and its signature is the sender's.
 */
export const INBOX_WRAP_TOPIC = topicOfName('hush/inbox-envelope/1');
