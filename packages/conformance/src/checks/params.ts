/**
 * Checks for params.json: the protocol constants Hush exposes must equal geth's. Constants of
 * layers Hush does not implement yet are skipped by name.
 */
import { BLOOM_FILTER_SIZE, TOPIC_LENGTH } from '@hush/bloom';
import { ENVELOPE_HEADER_LENGTH } from '@hush/envelope';
import {
  AES_KEY_LENGTH,
  AES_NONCE_LENGTH,
  DEFAULT_TTL,
  FLAGS_LENGTH,
  KEY_ID_SIZE,
  PAD_SIZE_LIMIT,
  PASSWORD_KEY_ITERATIONS,
  SIGNATURE_FLAG,
  SIGNATURE_LENGTH,
  SIZE_MASK,
} from '@hush/message';
import { field, same } from '../expect.js';
import type { CaseHandler } from './types.js';

const KNOWN: Record<string, unknown> = {
  TopicLength: TOPIC_LENGTH,
  BloomFilterSize: BLOOM_FILTER_SIZE,
  EnvelopeHeaderLength: ENVELOPE_HEADER_LENGTH,
  DefaultTTL: DEFAULT_TTL,
  SizeMask: SIZE_MASK,
  signatureFlag: SIGNATURE_FLAG,
  signatureLength: SIGNATURE_LENGTH,
  aesKeyLength: AES_KEY_LENGTH,
  aesNonceLength: AES_NONCE_LENGTH,
  keyIDSize: KEY_ID_SIZE,
  padSizeLimit: PAD_SIZE_LIMIT,
  flagsLength: FLAGS_LENGTH,
  // The ECIES and GCM parameters of SPEC §5.3–§5.4.
  'ecies.KeyLen': 16,
  'ecies.BlockSize': 16,
  'ecies.overhead': 65 + 16 + 32,
  'aesgcm.tagLength': 16,
  'signature.layout': SIGNATURE_LENGTH,
  'AddSymKeyFromPassword.pbkdf2': `pbkdf2(password, salt=nil, iterations=${PASSWORD_KEY_ITERATIONS}, keyLen=32, sha256)`,
};

export const params: CaseHandler = (c) => {
  const name = field<string>(c, 'name');
  if (!(name in KNOWN)) return 'constant of a layer Hush does not implement yet';
  return (async () => same(name, KNOWN[name], field(c, 'value')))();
};
