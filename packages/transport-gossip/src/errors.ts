/**
 * Protocol errors of the gossip layer (specs/whisper-v6 SPEC §6–§7). Each makes the node drop
 * the peer that caused it. Callers match on `code`.
 */
import { HushError } from '@hush/interface';

/** Why a peer was dropped or a packet refused. */
export type GossipErrorCode =
  // handshake (SPEC §7.2)
  | 'status-expected'
  | 'bad-status'
  | 'version-mismatch'
  | 'invalid-pow'
  | 'bloom-size'
  | 'light-clients'
  // message loop (SPEC §7.3)
  | 'oversized'
  | 'invalid-envelopes'
  | 'invalid-envelope'
  | 'invalid-pow-requirement'
  | 'invalid-bloom-exchange'
  | 'invalid-p2p-message'
  | 'invalid-p2p-request'
  | 'bad-frame'
  // admission of one envelope (SPEC §6.1)
  | 'future'
  | 'expired'
  | 'pool-full'
  | 'very-old'
  | 'too-large'
  | 'low-pow'
  | 'bloom-mismatch';

/** A protocol violation. */
export class GossipError extends HushError<GossipErrorCode> {
  override readonly name = 'GossipError';
}
