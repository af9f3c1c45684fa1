/**
 * A plaintext link, for the encryption-overhead benchmark only: each side sends its node key
 * in clear and frames then pass unencrypted through the same connection code (limits, rate
 * buckets, backlog) as the Noise link. Nothing is authenticated: never use it outside
 * `pnpm bench`.
 */
import { defaultBackend } from '@hush/crypto';
import {
  type ConnectionLimits,
  peerIdFromPublicKey,
  type RawChannel,
  resolveLimits,
  systemClock,
} from '@hush/interface';
import { CIPHERS, CipherState, LinkConnection, type NoiseLinkEncrypter } from '@hush/noise';

/** The plaintext "encrypter" of a node key. */
export function plainLinkEncrypter(
  privateKey: Uint8Array,
  limits: ConnectionLimits = {},
): NoiseLinkEncrypter {
  const publicKey = defaultBackend.publicKeyCreate(privateKey);
  const resolved = resolveLimits(limits);
  const cipher = CIPHERS.ChaChaPoly!;
  const open = (raw: RawChannel, outbound: boolean) =>
    new Promise<LinkConnection>((resolve) => {
      let connection: LinkConnection | undefined;
      raw.onClose(() => connection?.ended('remote'));
      raw.onMessage((message) => {
        if (connection) return connection.incoming(message);
        connection = new LinkConnection({
          raw,
          outbound,
          remoteKey: message.slice(),
          remoteStaticKey: new Uint8Array(32),
          // Keyless cipher states pass messages through unchanged (Noise §5.1).
          ciphers: { send: new CipherState(cipher), receive: new CipherState(cipher) },
          limits: resolved,
          clock: systemClock,
        });
        resolve(connection);
      });
      raw.send(publicKey);
    });
  return {
    protocol: 'plaintext (benchmark only)',
    staticKey: new Uint8Array(32),
    identity: {
      publicKey,
      peerId: peerIdFromPublicKey(publicKey),
      sign: () => {
        throw new Error('the plaintext link signs nothing');
      },
    },
    secureOutbound: (raw) => open(raw, true),
    secureInbound: (raw) => open(raw, false),
  };
}
