/** Decoding of RPC parameters as geth's hexutil and JSON decoders do, with geth-like errors. */
import { RpcError } from './jsonrpc.js';

const invalid = (index: number, message: string) =>
  new RpcError(-32602, `invalid argument ${index}: ${message}`);

/** The `index`th parameter, which must be present. */
export function arg(params: unknown[], index: number): unknown {
  if (params.length <= index)
    throw new RpcError(-32602, `missing value for required argument ${index}`);
  return params[index];
}

/**
 * A field of a parameter object as Go's JSON decoder reads it: absent or `null`, the field
 * keeps its zero value (`absent`); otherwise `read` decodes it.
 */
export function optional<T>(
  object: Record<string, unknown>,
  name: string,
  read: (value: unknown) => T,
  absent: T,
): T {
  const value = object[name];
  return value === undefined || value === null ? absent : read(value);
}

/** `0x`-prefixed hex bytes (hexutil.Bytes); the empty string is empty bytes, as in geth. */
export function hexBytes(value: unknown, index: number, what = 'bytes'): Uint8Array {
  if (typeof value !== 'string')
    throw invalid(
      index,
      `${what}: json: cannot unmarshal non-string into Go value of type hexutil.Bytes`,
    );
  if (value === '') return new Uint8Array(0);
  if (!/^0[xX]/.test(value)) throw invalid(index, `${what}: hex string without 0x prefix`);
  const body = value.slice(2);
  if (body.length % 2 !== 0) throw invalid(index, `${what}: hex string of odd length`);
  if (!/^[0-9a-fA-F]*$/.test(body)) throw invalid(index, `${what}: invalid hex string`);
  return Uint8Array.from(Buffer.from(body, 'hex'));
}

/** A 4-byte topic, `0x` + 8 hex digits. */
export function topic(value: unknown, index: number, what = 'topic'): Uint8Array {
  const bytes = hexBytes(value, index, what);
  if (bytes.length !== 4)
    throw invalid(index, `${what}: hex string has length ${2 * bytes.length}, want 8 for Topic`);
  return bytes;
}

export function string(value: unknown, index: number, what = 'value'): string {
  if (typeof value !== 'string') throw invalid(index, `${what} must be a string`);
  return value;
}

export function uint32(value: unknown, index: number, what = 'value'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw invalid(index, `${what} must be a uint32`);
  }
  return value;
}

export function float(value: unknown, index: number, what = 'value'): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw invalid(index, `${what} must be a number`);
  return value;
}

export function bool(value: unknown, index: number, what = 'value'): boolean {
  if (typeof value !== 'boolean') throw invalid(index, `${what} must be a boolean`);
  return value;
}

export function object(value: unknown, index: number): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(index, 'must be an object');
  return value as Record<string, unknown>;
}

/** `0x` + lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes).toString('hex')}`;
}
