/**
 * `hush-conformance emit DIR --out OUT`: re-seals every case of DIR that Hush can reproduce
 * (same inputs, salts, paddings, ephemeral keys, IVs) and writes vector files of the same
 * schema to OUT, with every derived field computed by Hush, so that another implementation
 * (geth included) can check what Hush produces. Cases whose randomness the vectors do not
 * record are re-sealed with fresh randomness, which the output then records, so they still
 * open and become reproducible.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { topicToBloom } from '@hush/bloom';
import { type CryptoBackend, defaultBackend, randomBytes } from '@hush/crypto';
import {
  createEnvelope,
  type Envelope,
  encodeEnvelope,
  envelopeHash,
  envelopePow,
  envelopeSize,
  rlpWithoutNonce,
  sealEnvelope,
} from '@hush/envelope';
import { keccak256 } from '@hush/keccak';
import {
  encryptAsymmetric,
  encryptSymmetric,
  generatePrivateKey,
  messageHash,
  publicKeyToAddress,
  type ReceivedMessage,
  symKeyFromPassword,
} from '@hush/message';
import { powBits, powBuffer, targetBits } from '@hush/pow';
import { vectorEnvelope } from './checks/envelope.js';
import { isReproducible, openCase, resealCase } from './checks/message.js';
import type { VectorCase } from './checks/types.js';
import { field, hex, toHex } from './expect.js';
import { formatFloatGo } from './go-format.js';

/** What was written for one file. */
export interface EmittedFile {
  readonly file: string;
  readonly cases: number;
  /** Cases reproduced with the recorded randomness (the rest used fresh randomness). */
  readonly reproduced: number;
}

const powJson = (pow: number) => (Number.isFinite(pow) ? pow : null);

/** The vectors' envelope object, every derived field computed by Hush. */
export function describeEnvelope(envelope: Envelope): VectorCase {
  const pow = envelopePow(envelope);
  return {
    expiry: envelope.expiry,
    ttl: envelope.ttl,
    topic: toHex(envelope.topic),
    data: toHex(envelope.data),
    nonce: `0x${envelope.nonce.toString(16).padStart(16, '0')}`,
    rlp: toHex(encodeEnvelope(envelope)),
    hash: toHex(envelopeHash(envelope)),
    size: envelopeSize(envelope),
    pow: powJson(pow),
    powString: formatFloatGo(pow),
    bloom: toHex(topicToBloom(envelope.topic)),
  };
}

function powInternals(envelope: Envelope): VectorCase {
  const withoutNonce = rlpWithoutNonce(envelope);
  const prefix = keccak256(withoutNonce);
  const buffer = powBuffer(prefix, envelope.nonce);
  return {
    rlpWithoutNonce: toHex(withoutNonce),
    rlpWithoutNonceHash: toHex(prefix),
    powBuffer: toHex(buffer),
    powHash: toHex(keccak256(buffer)),
    powBits: powBits(prefix, envelope.nonce),
  };
}

/** geth's ReceivedMessage fields, as the vectors' `expected`. */
function describeMessage(message: ReceivedMessage): VectorCase {
  return {
    flags: message.flags,
    payloadSizeFieldLength: message.payloadSizeFieldLength,
    payload: toHex(message.payload),
    padding: toHex(message.padding),
    signature: message.signature && toHex(message.signature),
    signerPublicKey: message.signer && toHex(message.signer),
    signerAddress: message.signer && toHex(publicKeyToAddress(message.signer)),
    signedHash: toHex(messageHash(message)),
    ...(message.symKeyHash ? { symKeyHash: toHex(message.symKeyHash) } : {}),
    ...(message.recipientPublicKey
      ? { recipientPublicKey: toHex(message.recipientPublicKey) }
      : {}),
    topic: toHex(message.topic),
    ttl: message.ttl,
    sent: message.sent,
    pow: powJson(message.pow),
    powString: formatFloatGo(message.pow),
    envelopeHash: toHex(message.envelopeHash),
  };
}

type Emitter = (
  c: VectorCase,
  backend: CryptoBackend,
) => Promise<{ case: VectorCase; reproduced: boolean }>;

const emitEnvelopeRlp: Emitter = async (c) => {
  const envelope = vectorEnvelope(field(c, 'envelope'));
  return {
    case: { name: c.name, envelope: describeEnvelope(envelope), ...powInternals(envelope) },
    reproduced: true,
  };
};

const emitSealPow: Emitter = async (c) => {
  const given = vectorEnvelope(field(c, 'envelope'));
  const mode = field<string>(c, 'mode');
  const pow = field<number>(c, 'powTarget');
  const workTime = field<number>(c, 'workTime');
  const unsealed = { ...given, expiry: field<number>(c, 'unsealedExpiry'), nonce: 0n };
  const started = performance.now();
  const sealed = await sealEnvelope(unsealed, {
    pow,
    workTime: mode === 'target' ? Math.max(workTime, 60) : workTime,
  });
  const sealDurationMs = Math.round(performance.now() - started);
  return {
    case: {
      name: c.name,
      mode,
      powTarget: pow,
      workTime,
      unsealedExpiry: unsealed.expiry,
      targetBits: mode === 'target' ? targetBits(pow, envelopeSize(sealed), sealed.ttl) : null,
      nonceIsDeterministic: mode !== 'timed',
      envelope: describeEnvelope(sealed),
      ...powInternals(sealed),
      sealDurationMs,
    },
    reproduced: mode !== 'timed',
  };
};

const emitMessage: Emitter = async (c, backend) => {
  const exact = isReproducible(c);
  let sealedCase: VectorCase = c;
  let ecies: VectorCase | undefined;
  if (typeof c.recipientPublicKey === 'string' && !exact) {
    // Fresh ECIES randomness, recorded so the emitted case is reproducible.
    const ephemeralKey = generatePrivateKey(backend);
    const iv = randomBytes(16);
    ecies = { deterministic: true, ephemeralPrivateKey: toHex(ephemeralKey), iv: toHex(iv) };
    sealedCase = { ...c, ecies };
  }
  const envelope = await resealCase(sealedCase, backend, true);
  const message = openCase(c, envelope, backend);
  const out: VectorCase = { ...c, envelope: describeEnvelope(envelope) };
  if (typeof c.symKey === 'string')
    out.salt = toHex(envelope.data.subarray(envelope.data.length - 12));
  if (typeof c.recipientPublicKey === 'string') {
    const data = envelope.data;
    const recorded = (ecies ?? c.ecies) as VectorCase;
    out.ecies = {
      deterministic: true,
      ephemeralPrivateKey: recorded.ephemeralPrivateKey,
      ephemeralPublicKey: toHex(data.subarray(0, 65)),
      iv: toHex(data.subarray(65, 81)),
      ciphertext: toHex(data.subarray(81, data.length - 32)),
      mac: toHex(data.subarray(data.length - 32)),
    };
  }
  out.plaintext = toHex(message.raw);
  out.expected = describeMessage(message);
  return { case: out, reproduced: exact };
};

const emitParse: Emitter = async (c, backend) => {
  const given = vectorEnvelope(field(c, 'envelope'));
  const plaintext = hex(field(c, 'plaintext'), 'plaintext');
  const symmetric = typeof c.symKey === 'string';
  const data = symmetric
    ? encryptSymmetric(
        plaintext,
        hex(c.symKey, 'symKey'),
        backend,
        given.data.subarray(given.data.length - 12),
      )
    : encryptAsymmetric(
        plaintext,
        backend.publicKeyCreate(hex(field(c, 'recipientPrivateKey'), 'recipientPrivateKey')),
        backend,
      );
  const unsealed = createEnvelope({
    expiry: given.expiry,
    ttl: given.ttl,
    topic: given.topic,
    data,
  });
  const envelope = await sealEnvelope(unsealed, { pow: 0.2, workTime: 60 });
  const message = openCase(c, envelope, backend);
  return {
    case: { ...c, envelope: describeEnvelope(envelope), expected: describeMessage(message) },
    reproduced: symmetric,
  };
};

const emitPassword: Emitter = async (c, backend) => {
  const password = field<string>(c, 'password');
  return {
    case: {
      password,
      passwordHex: toHex(new TextEncoder().encode(password)),
      symKey: toHex(symKeyFromPassword(password, backend)),
    },
    reproduced: true,
  };
};

const EMITTERS: Record<string, Emitter> = {
  'envelope-rlp.json': emitEnvelopeRlp,
  'seal-pow.json': emitSealPow,
  'message-sym.json': emitMessage,
  'message-asym.json': emitMessage,
  'message-parse.json': emitParse,
  'symkey-password.json': emitPassword,
};

/**
 * Re-emits the reproducible vector files of `dir` into `outDir`.
 *
 * @param onFile - told about each file written
 * @returns what was written per file
 * @throws if a file cannot be read or a case cannot be re-sealed (the message names the case)
 */
export async function emitVectors(
  dir: string,
  outDir: string,
  options: { backend?: CryptoBackend; onFile?: (file: EmittedFile) => void } = {},
): Promise<EmittedFile[]> {
  const backend = options.backend ?? defaultBackend;
  await mkdir(outDir, { recursive: true });
  const written: EmittedFile[] = [];
  for (const file of (await readdir(dir)).filter((name) => name in EMITTERS).sort()) {
    const source = JSON.parse(await readFile(join(dir, file), 'utf8')) as VectorCase & {
      cases: VectorCase[];
    };
    const cases: VectorCase[] = [];
    let reproduced = 0;
    for (const [index, c] of source.cases.entries()) {
      try {
        const emitted = await EMITTERS[file]!(c, backend);
        cases.push(emitted.case);
        if (emitted.reproduced) reproduced++;
      } catch (error) {
        throw new Error(
          `${file} #${index} ${String(c.name ?? '')}: ${error instanceof Error ? error.message : error}`,
        );
      }
    }
    const output = {
      description: source.description,
      source: `re-emitted by Hush (@hush/conformance emit, ${backend.name} backend) from ${String(source.source)}`,
      ...(source.notes ? { notes: source.notes } : {}),
      cases,
    };
    await writeFile(join(outDir, file), `${JSON.stringify(output, null, 1)}\n`);
    const summary = { file, cases: cases.length, reproduced };
    written.push(summary);
    options.onFile?.(summary);
  }
  return written;
}
