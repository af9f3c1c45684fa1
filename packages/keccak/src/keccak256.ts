/**
 * Keccak-256 (the original Keccak padding 0x01…0x80, as Ethereum uses it; not SHA3-256).
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { RATE } from './keccak-module.js';
import { DIGEST_OFFSET, INPUT_OFFSET, keccakInstance } from './runtime.js';

function assertBytes(value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
}

/**
 * Hashes the concatenation of `parts` without concatenating them first.
 *
 * @param parts - byte strings hashed as one message, in order
 * @returns the 32-byte digest
 * @throws TypeError if a part is not a Uint8Array
 */
export function keccak256Concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (let i = 0; i < parts.length; i++) {
    assertBytes(parts[i], `parts[${i}]`);
    length += parts[i]!.length;
  }
  const wasm = keccakInstance();
  if (!wasm) {
    const hash = keccak_256.create();
    for (const part of parts) hash.update(part);
    return hash.digest();
  }
  const padded = (Math.floor(length / RATE) + 1) * RATE;
  wasm.reserve(INPUT_OFFSET + padded);
  const mem = wasm.bytes();
  let at = INPUT_OFFSET;
  for (const part of parts) {
    mem.set(part, at);
    at += part.length;
  }
  mem.fill(0, at, INPUT_OFFSET + padded);
  mem[at] ^= 0x01;
  mem[INPUT_OFFSET + padded - 1] ^= 0x80;
  wasm.exports.absorb(INPUT_OFFSET, padded / RATE, DIGEST_OFFSET);
  return mem.slice(DIGEST_OFFSET, DIGEST_OFFSET + 32);
}

/**
 * Keccak-256 of `data`.
 *
 * @param data - the message
 * @returns the 32-byte digest
 * @throws TypeError if `data` is not a Uint8Array
 */
export function keccak256(data: Uint8Array): Uint8Array {
  assertBytes(data, 'data');
  return keccak256Concat([data]);
}
