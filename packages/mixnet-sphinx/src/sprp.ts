/**
 * The payload SPRP of Katzenpost's Sphinx (specs/mixnet-sphinx/SPEC.md §4): AEZ v5 with τ = 0,
 * keyed by the hop's 48-byte payload key, the header IV as the nonce, no additional data.
 */
import { aezDecipher, aezEncipher } from './aez.js';
import type { PayloadSprp } from './unwrap.js';

/**
 * AEZ v5 as Sphinx uses it.
 *
 * @example
 * ```ts
 * const step = unwrapPacket(geometry(5, 103), mixKey, packet, aezSprp);
 * ```
 */
export const aezSprp: PayloadSprp = {
  encrypt: (key, iv, data) => aezEncipher(key, iv, data),
  decrypt: (key, iv, data) => aezDecipher(key, iv, data),
};
