/** Which handler serves which vector file, and which layers of invalid.json. */
import { bloomMatch, topicBloom } from './bloom.js';
import { envelopeRlp, rlpDecodeInvalid, sealPow } from './envelope.js';
import { params } from './params.js';
import type { CaseHandler } from './types.js';

const invalidLayers: Record<string, CaseHandler> = {
  'rlp-decode': rlpDecodeInvalid,
};

const invalid: CaseHandler = (c) => {
  const layer = String(c.layer);
  const handler = invalidLayers[layer];
  return handler ? handler(c) : `layer '${layer}' not handled yet`;
};

/** Handlers by file name; files not listed are skipped whole. */
export const handlers: Record<string, CaseHandler> = {
  'params.json': params,
  'topic-bloom.json': topicBloom,
  'bloom-match.json': bloomMatch,
  'envelope-rlp.json': envelopeRlp,
  'seal-pow.json': sealPow,
  'invalid.json': invalid,
};
