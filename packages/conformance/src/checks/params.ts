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
import {
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_MINIMUM_POW,
  DEFAULT_SYNC_ALLOWANCE,
  EXPIRATION_CYCLE_MS,
  MAX_MESSAGE_SIZE,
  MessageCode,
  NUMBER_OF_MESSAGE_CODES,
  PROTOCOL_VERSION,
  TRANSMISSION_CYCLE_MS,
} from '@hush/transport-gossip';
import { field, same } from '../expect.js';
import type { CaseHandler } from './types.js';

const KNOWN: Record<string, unknown> = {
  TopicLength: TOPIC_LENGTH,
  ProtocolVersion: PROTOCOL_VERSION,
  ProtocolVersionStr: `${PROTOCOL_VERSION}.0`,
  ProtocolName: 'shh',
  statusCode: MessageCode.status,
  messagesCode: MessageCode.messages,
  powRequirementCode: MessageCode.powRequirement,
  bloomFilterExCode: MessageCode.bloomFilterEx,
  p2pRequestCode: MessageCode.p2pRequest,
  p2pMessageCode: MessageCode.p2pMessage,
  NumberOfMessageCodes: NUMBER_OF_MESSAGE_CODES,
  MaxMessageSize: MAX_MESSAGE_SIZE,
  DefaultMaxMessageSize: DEFAULT_MAX_MESSAGE_SIZE,
  DefaultMinimumPoW: DEFAULT_MINIMUM_POW,
  DefaultSyncAllowance: DEFAULT_SYNC_ALLOWANCE,
  expirationCycle: `${EXPIRATION_CYCLE_MS / 1000}s`,
  transmissionCycle: `${TRANSMISSION_CYCLE_MS}ms`,
  'DefaultConfig.MaxMessageSize': DEFAULT_MAX_MESSAGE_SIZE,
  'DefaultConfig.MinimumAcceptedPOW': DEFAULT_MINIMUM_POW,
  'DefaultConfig.RestrictConnectionBetweenLightClients': true,
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

/** Entries that describe rather than give a value Hush could expose. */
const DESCRIPTIVE: Record<string, string> = {
  messageQueueLimit: "geth's internal processing queue (Hush has none)",
  'ecies.params.secp256k1': 'a name for the ECIES parameters checked one by one above',
  'messagesCode.payload': 'a payload layout in prose (checked by the wire cases)',
  'statusCode.payload': 'a payload layout in prose (checked by the wire cases)',
  'powRequirementCode.payload': 'a payload layout in prose (checked by the wire cases)',
  'bloomFilterExCode.payload': 'a payload layout in prose (checked by the wire cases)',
};

export const params: CaseHandler = (c) => {
  const name = field<string>(c, 'name');
  if (name in DESCRIPTIVE) return DESCRIPTIVE[name]!;
  if (!(name in KNOWN)) return 'constant of a layer Hush does not implement yet';
  return (async () => same(name, KNOWN[name], field(c, 'value')))();
};
