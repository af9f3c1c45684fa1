/**
 * Helpers for tests: load a vector file of specs/whisper-v6/vectors and convert the vectors'
 * `0x`-prefixed lowercase hex.
 */
import { readFileSync } from 'node:fs';

const vectorsDir = new URL('../../../specs/whisper-v6/vectors/', import.meta.url);

/** A vector file: `{ description, source, notes?, cases }`. */
export interface VectorFile<Case> {
  description: string;
  source: string;
  notes?: string[];
  cases: Case[];
}

/** Reads specs/whisper-v6/vectors/`name`. */
export function loadVectors<Case>(name: string): VectorFile<Case> {
  return JSON.parse(readFileSync(new URL(name, vectorsDir), 'utf8')) as VectorFile<Case>;
}

/** `0x…` hex to bytes. */
export function hex(value: string): Uint8Array {
  if (!value.startsWith('0x')) throw new Error(`not 0x hex: ${value.slice(0, 20)}`);
  return Uint8Array.from(Buffer.from(value.slice(2), 'hex'));
}

/** Bytes to `0x…` lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes).toString('hex')}`;
}

export type * from './schema.js';
