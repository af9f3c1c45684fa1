/**
 * Types of the vector files in specs/whisper-v6/vectors (their README gives the schema).
 * Byte strings are `0x` hex; uint64 nonces are `0x` + 16 hex digits.
 */

/** The envelope object most files carry. */
export interface VectorEnvelope {
  expiry: number;
  ttl: number;
  topic: string;
  data: string;
  nonce: string;
  rlp: string;
  hash: string;
  size: number;
  /** null when +Infinity (TTL 0). */
  pow: number | null;
  powString: string;
  bloom: string;
}

/** topic-bloom.json */
export interface TopicBloomCase {
  name: string;
  topic: string;
  bloom: string;
  bitIndices: number[];
  bitsSet: number;
}

/** bloom-match.json */
export interface BloomMatchCase {
  name: string;
  filterTopics: string[] | null;
  filter: string | null;
  sampleTopic: string;
  sampleBloom: string;
  match: boolean;
}

/** envelope-rlp.json */
export interface EnvelopeRlpCase {
  name: string;
  envelope: VectorEnvelope;
  rlpWithoutNonce: string;
  rlpWithoutNonceHash: string;
  powBuffer: string;
  powHash: string;
  powBits: number;
}

/** seal-pow.json */
export interface SealPowCase extends EnvelopeRlpCase {
  mode: 'target' | 'timed' | 'none';
  powTarget: number;
  workTime: number;
  unsealedExpiry: number;
  targetBits: number | null;
  nonceIsDeterministic: boolean;
}

/** invalid.json (the fields the envelope layers use). */
export interface InvalidCase {
  name: string;
  layer: 'rlp-decode' | 'open' | 'parse' | 'node' | 'filter' | 'wrap';
  reason: string;
  gethOutcome: string;
  gethError: string;
  rlp?: string;
  messagesPacket?: string;
  gethPacketError?: string;
}

/** expected.* of message files: geth's ReceivedMessage. */
export interface ExpectedMessage {
  flags: number;
  payloadSizeFieldLength: number;
  payload: string;
  padding: string;
  signature: string | null;
  signerPublicKey: string | null;
  signerAddress: string | null;
  signedHash: string;
  symKeyHash?: string;
  recipientPublicKey?: string;
  topic: string;
  ttl: number;
  sent: number;
  pow: number | null;
  powString: string;
  envelopeHash: string;
}

/** message-sym.json and message-asym.json */
export interface MessageCase {
  name: string;
  symKey?: string;
  recipientPrivateKey?: string;
  recipientPublicKey?: string;
  topic: string;
  ttl: number;
  payload: string;
  padding: string | null;
  signingPrivateKey: string | null;
  powTarget: number;
  workTime: number;
  envelope: VectorEnvelope;
  salt?: string;
  ecies?: {
    deterministic: boolean;
    ephemeralPrivateKey: string | null;
    ephemeralPublicKey: string;
    iv: string;
    ciphertext: string;
    mac: string;
  };
  plaintext: string;
  expected: ExpectedMessage;
}

/** message-parse.json */
export interface ParseCase {
  name: string;
  symKey?: string;
  recipientPrivateKey?: string;
  plaintext: string;
  envelope: VectorEnvelope;
  expected: ExpectedMessage;
}

/** The message layers of invalid.json. */
export interface InvalidMessageCase extends InvalidCase {
  envelope?: VectorEnvelope;
  symKey?: string;
  recipientPrivateKey?: string;
  plaintext?: string;
  filter?: { topics: string[]; pow: number; src: string | null };
  wrap?: {
    topic: string;
    ttl: number;
    payload: string;
    padding: string | null;
    symKey: string | null;
    recipientPublicKey: string | null;
    signingPrivateKey: string | null;
    powTarget: number;
    workTime: number;
  };
}

/** wire.json */
export interface WireCase {
  name: string;
  peerId: string;
  node: {
    minPow: number;
    maxMessageSize: number;
    bloomFilter: string | null;
    lightClient: boolean;
    pooledEnvelopes?: VectorEnvelope[];
  };
  gethStatus: { code: number; payload: string };
  inbound: { code: number; payload: string }[];
  gethSentAfterHandshake: { code: number; payload: string }[] | null;
  gethResult: 'connected' | 'disconnected';
  gethError: string | null;
}

/** node-edge.json */
export interface NodeEdgeCase {
  name: string;
  node: { now: number; maxMessageSize: number; minPow: number; bloomFilter: string | null };
  envelope: VectorEnvelope;
  symKey?: string;
  gethOutcome: 'accepted';
  powAfterAdd: number | null;
  powAfterAddString: string;
}

/** The node layer of invalid.json. */
export interface InvalidNodeCase extends InvalidCase {
  envelope?: VectorEnvelope;
  hugeData?: {
    expiry: number;
    ttl: number;
    topic: string;
    nonce: string;
    repeatByte: string;
    length: number;
    hash: string;
  };
  node: { now: number; maxMessageSize: number; minPow: number; bloomFilter: string | null };
}
