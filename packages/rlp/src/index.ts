/**
 * @hush/rlp: Recursive Length Prefix encoding as go-ethereum v1.8.27 reads it
 * (specs/whisper-v6 SPEC §3.2 encoding, §3.3 strict decoding rules H1–H3 and I1–I5). One
 * codec for the envelope codec and the gossip sub-protocol: encoders that write each item in
 * its one canonical form, zero-allocation item readers and a stream reader that refuse every
 * non-canonical size and integer, and one error, `RlpError`, whose `code` names the rule.
 *
 * @example
 * ```ts
 * import { encodeBytes, encodeList, encodeUint, RlpStream } from '@hush/rlp';
 *
 * const payload = encodeList([encodeUint(6), encodeBytes(bloom)]);
 * const s = new RlpStream(payload);
 * s.list();
 * s.uintNumber(4); // 6
 * s.string(); // bloom
 * ```
 *
 * @packageDocumentation
 */
export {
  bigUintLength,
  bytesLength,
  encodeBytes,
  encodeList,
  encodeUint,
  headerLength,
  uintLength,
  writeBigUint,
  writeBytes,
  writeHeader,
  writeUint,
} from './encode.js';
export { RlpError, type RlpErrorCode, type RlpErrorOptions } from './errors.js';
export {
  type ItemHeader,
  ItemKind,
  itemHeader,
  readBigUint,
  readHeader,
  readList,
  readString,
  readUint,
} from './read.js';
export { RlpStream } from './stream.js';
export { decode, encode, type RlpValue } from './value.js';
