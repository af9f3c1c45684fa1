/** Checks for topic-bloom.json and bloom-match.json (specs/whisper-v6 SPEC §2). */
import { bloomFilterMatch, topicsToBloom, topicToBloom } from '@hush/bloom';
import { field, hex, same } from '../expect.js';
import type { CaseHandler } from './types.js';

export const topicBloom: CaseHandler = async (c) => {
  const bloom = topicToBloom(hex(field(c, 'topic'), 'topic'));
  same('bloom', bloom, hex(field(c, 'bloom'), 'bloom'));
  if ('bitsSet' in c) {
    let bits = 0;
    for (const byte of bloom) for (let b = byte; b; b &= b - 1) bits++;
    same('bitsSet', bits, c.bitsSet);
  }
};

export const bloomMatch: CaseHandler = async (c) => {
  const sample = topicToBloom(hex(field(c, 'sampleTopic'), 'sampleTopic'));
  if ('sampleBloom' in c) same('sampleBloom', sample, hex(c.sampleBloom, 'sampleBloom'));
  const filterValue = field<string | null>(c, 'filter');
  const filter = filterValue === null ? null : hex(filterValue, 'filter');
  const topics = c.filterTopics as string[] | null | undefined;
  if (filter && Array.isArray(topics) && topics.length > 0) {
    same(
      'filter from filterTopics',
      topicsToBloom(topics.map((t, i) => hex(t, `filterTopics[${i}]`))),
      filter,
    );
  }
  same('match', bloomFilterMatch(filter, sample), field(c, 'match'));
};
