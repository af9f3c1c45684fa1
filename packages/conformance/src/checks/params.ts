/**
 * Checks for params.json: the protocol constants Hush exposes must equal geth's. Constants of
 * layers Hush does not implement yet are skipped by name.
 */
import { BLOOM_FILTER_SIZE, TOPIC_LENGTH } from '@hush/bloom';
import { ENVELOPE_HEADER_LENGTH } from '@hush/envelope';
import { field, same } from '../expect.js';
import type { CaseHandler } from './types.js';

const KNOWN: Record<string, unknown> = {
  TopicLength: TOPIC_LENGTH,
  BloomFilterSize: BLOOM_FILTER_SIZE,
  EnvelopeHeaderLength: ENVELOPE_HEADER_LENGTH,
};

export const params: CaseHandler = (c) => {
  const name = field<string>(c, 'name');
  if (!(name in KNOWN)) return 'constant of a layer Hush does not implement yet';
  return (async () => same(name, KNOWN[name], field(c, 'value')))();
};
