/** Envelopes for the archive's tests and the inbox suite. */
import { createEnvelope, type Envelope } from '@hush/envelope';

let made = 0;

/** A new envelope created at `sent` (ttl 50) on `topic`; each call's nonce differs. */
export function makeEnvelope(options: {
  sent: number;
  topic: Uint8Array;
  size?: number;
}): Envelope {
  const data = new Uint8Array(Math.max(4, options.size ?? 4));
  new DataView(data.buffer).setUint32(0, ++made);
  return createEnvelope({
    expiry: options.sent + 50,
    ttl: 50,
    topic: options.topic,
    data,
    nonce: BigInt(made),
  });
}
