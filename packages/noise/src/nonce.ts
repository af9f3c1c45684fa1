/** The 96-bit AEAD nonce of a Noise 64-bit counter (Noise Protocol Framework rev. 34 §12.3-4). */

/** ChaChaPoly: 32 zero bits then the counter little-endian; AESGCM: then big-endian. */
export function nonceBytes(nonce: bigint, littleEndian: boolean): Uint8Array {
  const out = new Uint8Array(12);
  new DataView(out.buffer).setBigUint64(4, nonce, littleEndian);
  return out;
}
