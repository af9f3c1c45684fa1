/** Which handler serves which vector file, and which layers of invalid.json. */
import type { CryptoBackend } from '@hush/crypto';
import { bloomMatch, topicBloom } from './bloom.js';
import { envelopeRlp, rlpDecodeInvalid, sealPow } from './envelope.js';
import { nodeEdgeCase, nodeInvalidCase, wireCase } from './gossip.js';
import { invalidMessageCase, messageCase, parseCase, passwordCase } from './message.js';
import { params } from './params.js';
import type { CaseHandler } from './types.js';

/**
 * The handlers by file name for a crypto backend, and the clock of the wire cases; files not
 * listed are skipped whole.
 */
export function createHandlers(
  backend: CryptoBackend,
  wireNow: number,
): Record<string, CaseHandler> {
  const invalidLayers: Record<string, CaseHandler> = {
    'rlp-decode': rlpDecodeInvalid,
    open: invalidMessageCase(backend, 'open'),
    parse: invalidMessageCase(backend, 'parse'),
    wrap: invalidMessageCase(backend, 'wrap'),
    filter: invalidMessageCase(backend, 'filter'),
    node: nodeInvalidCase,
  };
  const invalid: CaseHandler = (c) => {
    const layer = String(c.layer);
    const handler = invalidLayers[layer];
    return handler ? handler(c) : `layer '${layer}' not handled yet`;
  };
  return {
    'params.json': params,
    'topic-bloom.json': topicBloom,
    'bloom-match.json': bloomMatch,
    'envelope-rlp.json': envelopeRlp,
    'seal-pow.json': sealPow,
    'message-sym.json': messageCase(backend),
    'message-asym.json': messageCase(backend),
    'message-parse.json': parseCase(backend),
    'symkey-password.json': passwordCase(backend),
    'invalid.json': invalid,
    'node-edge.json': nodeEdgeCase,
    'wire.json': wireCase(wireNow),
  };
}
