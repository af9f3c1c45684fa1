/**
 * Opening messages (SPEC §5.3–§5.4) against geth v1.8.27's Envelope.Open: ~300-byte
 * payloads, every envelope opened fresh (hash and PoW computed by the open, nothing cached),
 * on the native Node backend and on the pure-JS backend browsers get.
 */
import { geth, measure, section } from '@hush/bench-support';
import { type CryptoBackend, defaultBackend, nobleBackend, randomBytes } from '@hush/crypto';
import { type Envelope, envelopeHashAndPow } from '@hush/envelope';
import { keccak256, keccakReady } from '@hush/keccak';
import {
  generatePrivateKey,
  generateSymKey,
  MessageError,
  openAsymmetric,
  openSymmetric,
  publicKeyOf,
  wrapMessage,
} from '../src/index.js';

const GETH = {
  symUnsigned: geth('open-sym-unsigned'),
  symUnsignedCached: geth('open-sym-unsigned-cached'),
  symSigned: geth('open-sym-signed'),
  asymRight: geth('open-asym-right'),
  asymWrong: geth('open-asym-wrong'),
  ecdh: geth('ecdh'),
  recover: geth('sig-recover'),
};

async function envelopes(
  count: number,
  keys: { symKey?: Uint8Array; publicKey?: Uint8Array },
  signingKey?: Uint8Array,
) {
  const out: Envelope[] = [];
  for (let i = 0; i < count; i++) {
    out.push(
      await wrapMessage({
        topic: Uint8Array.of(1, 2, 3, 4),
        payload: randomBytes(300),
        ...keys,
        ...(signingKey ? { signingKey } : {}),
        pow: 0,
        workTime: 1,
      }),
    );
  }
  return out;
}

async function suite(backend: CryptoBackend, label: string, runMs: number) {
  section(`Opening messages, ${label} (messages/s; each envelope opened fresh)`);
  const symKey = generateSymKey();
  const privateKey = generatePrivateKey();
  const publicKey = publicKeyOf(privateKey);
  const wrongKey = generatePrivateKey();
  const signer = generatePrivateKey();
  const unsigned = await envelopes(256, { symKey });
  const signed = await envelopes(256, { symKey }, signer);
  const asym = await envelopes(256, { publicKey });
  let i = 0;
  const options = { backend };
  await measure(
    'open symmetric, unsigned',
    () => openSymmetric(unsigned[i++ & 255]!, symKey, options),
    {
      reference: GETH.symUnsigned,
      unit: ' msg/s',
      runMs,
    },
  );
  const facts = unsigned.map((e) => envelopeHashAndPow(e));
  await measure(
    '  same, hash and PoW known from arrival (node path)',
    () => {
      const n = i++ & 255;
      return openSymmetric(unsigned[n]!, symKey, { backend, facts: facts[n]! });
    },
    { reference: GETH.symUnsignedCached, unit: ' msg/s', runMs, runs: 1 },
  );
  await measure(
    'open symmetric, signed',
    () => openSymmetric(signed[i++ & 255]!, symKey, options),
    {
      reference: GETH.symSigned,
      unit: ' msg/s',
      runMs,
    },
  );
  await measure(
    'open asymmetric, right key',
    () => openAsymmetric(asym[i++ & 255]!, privateKey, options),
    {
      reference: GETH.asymRight,
      unit: ' msg/s',
      runMs,
    },
  );
  await measure(
    'open asymmetric, wrong key',
    () => {
      try {
        openAsymmetric(asym[i++ & 255]!, wrongKey, options);
      } catch (error) {
        if (!(error instanceof MessageError)) throw error;
      }
    },
    { reference: GETH.asymWrong, unit: ' msg/s', runMs },
  );
  const peers = Array.from({ length: 64 }, () => backend.publicKeyCreate(generatePrivateKey()));
  await measure('secp256k1 ECDH', () => backend.ecdhX(privateKey, peers[i++ & 63]!), {
    reference: GETH.ecdh,
    unit: ' op/s',
    runMs,
  });
  const signatures = Array.from({ length: 64 }, (_, n) => {
    const hash = keccak256(Uint8Array.of(n));
    return [hash, backend.signRecoverable(hash, signer)] as const;
  });
  await measure(
    'signature recovery',
    () => {
      const [hash, signature] = signatures[i++ & 63]!;
      return backend.recoverPublicKey(hash, signature);
    },
    { reference: GETH.recover, unit: ' op/s', runMs },
  );
}

export async function run(): Promise<void> {
  await keccakReady();
  await suite(defaultBackend, `${defaultBackend.name} backend (node:crypto + libsecp256k1)`, 1000);
  await suite(nobleBackend, 'noble backend (pure JS, what browsers get)', 500);
}
