/**
 * Transport framing of a Noise link (specs/whisper-v6 SPEC §7.6.2): one frame is one carrier
 * message, the concatenation of Noise transport messages each encrypting at most 65,519
 * plaintext bytes (65,535 with the tag), the last possibly shorter; an empty frame is one
 * 16-byte message. Each direction's nonce counts messages, so an altered, dropped, replayed
 * or reordered message fails authentication; each message's associated data is one byte, 1
 * for a frame's last message and 0 for the others, so a frame cut in two or two frames
 * joined fail it too.
 */
import { type CipherState, MAX_MESSAGE_LENGTH } from '../cipher-state.js';
import { NoiseError } from '../errors.js';

const TAG_LENGTH = 16;
/** Plaintext bytes one Noise transport message carries at most. */
export const CHUNK_PLAINTEXT = MAX_MESSAGE_LENGTH - TAG_LENGTH;

/** Bytes a frame of `plaintextLength` bytes takes on the carrier. */
export function sealedLength(plaintextLength: number): number {
  return plaintextLength + TAG_LENGTH * Math.max(1, Math.ceil(plaintextLength / CHUNK_PLAINTEXT));
}

/** The associated data of a frame's last transport message, and of the others. */
const LAST = Uint8Array.of(1);
const MORE = Uint8Array.of(0);

/** Encrypts one frame. @throws NoiseError 'nonce-exhausted' */
export function sealFrame(cipher: CipherState, frame: Uint8Array): Uint8Array {
  // A cipher without a key passes messages through (Noise §5.1): a plaintext baseline.
  if (!cipher.hasKey()) return frame;
  if (frame.length <= CHUNK_PLAINTEXT) return cipher.encryptWithAd(LAST, frame);
  const out = new Uint8Array(sealedLength(frame.length));
  let at = 0;
  for (let offset = 0; offset < frame.length; offset += CHUNK_PLAINTEXT) {
    const end = Math.min(frame.length, offset + CHUNK_PLAINTEXT);
    const sealed = cipher.encryptWithAd(
      end === frame.length ? LAST : MORE,
      frame.subarray(offset, end),
    );
    out.set(sealed, at);
    at += sealed.length;
  }
  return out;
}

/** Decrypts one frame. @throws NoiseError 'decrypt-failed', 'bad-message' or 'nonce-exhausted' */
export function openFrame(cipher: CipherState, message: Uint8Array): Uint8Array {
  if (!cipher.hasKey()) return message;
  if (message.length < TAG_LENGTH) throw new NoiseError('bad-message', 'frame too short');
  if (message.length <= MAX_MESSAGE_LENGTH) return cipher.decryptWithAd(LAST, message);
  const chunks = Math.ceil(message.length / MAX_MESSAGE_LENGTH);
  const last = message.length - (chunks - 1) * MAX_MESSAGE_LENGTH;
  if (last < TAG_LENGTH) throw new NoiseError('bad-message', 'frame ends inside a tag');
  const out = new Uint8Array(message.length - chunks * TAG_LENGTH);
  let at = 0;
  for (let offset = 0; offset < message.length; offset += MAX_MESSAGE_LENGTH) {
    const end = Math.min(message.length, offset + MAX_MESSAGE_LENGTH);
    const plain = cipher.decryptWithAd(
      end === message.length ? LAST : MORE,
      message.subarray(offset, end),
    );
    out.set(plain, at);
    at += plain.length;
  }
  return out;
}
