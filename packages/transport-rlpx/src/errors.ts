/**
 * The one error of @hush/transport-rlpx (specs/rlpx SPEC §8): callers match on `code`.
 */
import { HushError } from '@hush/interface';

/**
 * Why an RLPx operation failed.
 *
 * - `bad-auth`, `bad-ack`: a handshake packet that does not decrypt or decode (§3)
 * - `bad-mac`: a frame header or body whose MAC does not match (§4.2)
 * - `frame-too-large`: a frame, or a message once decompressed, over the limit (§4.3, §5.5)
 * - `bad-message`: a frame that decrypts but whose message does not decode (§4.1, §5)
 * - `bad-hello`: a hello that does not decode or names an invalid identity (§5.1)
 * - `useless-peer`: a hello with no capability in common (§5.2)
 * - `unexpected-identity`: the hello or the handshake proves another key than the one dialed (§5.1)
 * - `handshake-timeout`: the handshakes did not finish in time (§8)
 * - `rate-limit`: a peer over its inbound rate (§8)
 * - `self`: the node reached itself (§5.1)
 * - `disconnected`: the peer sent a disconnect, or the socket closed (§5.4)
 * - `bad-enode`: an `enode://` URL that does not parse (§7), or a discovery bootnode that is
 *   not an IP address with a UDP port (§10.2)
 * - `bad-packet`: a discovery v4 datagram that is oversize, short, mis-hashed, unsigned or
 *   does not decode (§10.1)
 */
export type RlpxErrorCode =
  | 'bad-auth'
  | 'bad-ack'
  | 'bad-mac'
  | 'frame-too-large'
  | 'bad-message'
  | 'bad-hello'
  | 'useless-peer'
  | 'unexpected-identity'
  | 'handshake-timeout'
  | 'rate-limit'
  | 'self'
  | 'disconnected'
  | 'bad-enode'
  | 'bad-packet';

/** An RLPx failure. Callers match on `code`. */
export class RlpxError extends HushError<RlpxErrorCode> {
  override readonly name = 'RlpxError';
}
