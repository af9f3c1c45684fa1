/**
 * The mailserver's request handler (specs/mailserver §2.2, §5): answers a signed request that
 * opens with the mailserver key, in batches then a completion naming the request, reports a
 * bad range, a busy peer and a failed query in Status's failure form, and stays silent on
 * unsigned requests, other keys and malformed payloads.
 */
import { fullBloom } from '@hush/bloom';
import { nobleBackend } from '@hush/crypto';
import { createEnvelope, type Envelope, encodeEnvelope, envelopeHash } from '@hush/envelope';
import { ManualClock, MemoryStore } from '@hush/interface';
import { generatePrivateKey, generateSymKey, symKeyFromPassword, wrapMessage } from '@hush/message';
import { describe, expect, it } from 'vitest';
import {
  Archive,
  decodeRequestComplete,
  encodeHistoryRequest,
  type MailserverOptions,
  mailserverHandler,
} from '../src/index.js';

const symKey = symKeyFromPassword('status-offline-inbox');
const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function setup(options: Partial<MailserverOptions> = {}) {
  const archive = new Archive(new MemoryStore());
  for (let i = 0; i < 3; i++) {
    const e = createEnvelope({
      expiry: 1000 + i + 50,
      ttl: 50,
      topic: Uint8Array.of(1, 2, 3, 4),
      data: Uint8Array.of(i),
      nonce: 0n,
    });
    await archive.add(e, encodeEnvelope(e), envelopeHash(e));
  }
  let queries = 0;
  const served = options.archive ?? archive;
  const counted: MailserverOptions['archive'] = {
    query: (...args) => {
      queries++;
      return served.query(...args);
    },
  };
  const handle = mailserverHandler({
    symKey,
    backend: nobleBackend,
    logger: silent,
    ...options,
    archive: counted,
  });
  const ask = async (request: Envelope, maxBytes = 1 << 20) => {
    const sent: Envelope[] = [];
    const before = queries;
    const answer = await new Promise<{ kind: string; detail: unknown }>((resolve) => {
      handle(request, {
        id: 'client',
        maxBytes,
        send: (batch) => {
          sent.push(...batch);
          return true;
        },
        complete: (body) => {
          const answer = decodeRequestComplete(body);
          expect(answer.requestId).toEqual(envelopeHash(request));
          if (answer.error === undefined)
            resolve({
              kind: 'complete',
              detail: { lastHash: answer.lastEnvelopeHash, cursor: answer.cursor },
            });
          else resolve({ kind: 'fail', detail: answer.error });
          return true;
        },
      });
      // The handler decides synchronously whether to answer: without a query started (and
      // no failure already reported) nothing will ever come.
      if (queries === before) resolve({ kind: 'silence', detail: undefined });
    });
    return { ...answer, sent };
  };
  return { ask, archive };
}

const request = (payload: Uint8Array, options: { key?: Uint8Array; signed?: boolean } = {}) =>
  wrapMessage({
    topic: new Uint8Array(4),
    payload,
    symKey: options.key ?? symKey,
    ...(options.signed === false ? {} : { signingKey: generatePrivateKey() }),
    pow: 0,
    workTime: 0,
  });

const query = {
  lower: 0,
  upper: 2000,
  bloom: fullBloom(),
  limit: 10,
  cursor: new Uint8Array(0),
  topics: [],
};

describe('mailserver request handler', () => {
  it('answers a signed request with the envelopes, then completion with an empty cursor', async () => {
    const { ask } = await setup();
    const answer = await ask(await request(encodeHistoryRequest(query)));
    expect(answer.kind).toBe('complete');
    expect(answer.sent.map((e) => e.data[0])).toEqual([0, 1, 2]);
    expect((answer.detail as { cursor: Uint8Array }).cursor.length).toBe(0);
  });

  it("reports lower > upper in Status's failure form", async () => {
    const { ask } = await setup();
    const answer = await ask(
      await request(encodeHistoryRequest({ ...query, lower: 10, upper: 5 })),
    );
    expect(answer).toMatchObject({ kind: 'fail', detail: expect.stringMatching(/lower > upper/) });
  });

  it('reads upper 0 as now (by its clock, with a minute of margin)', async () => {
    const { ask } = await setup();
    const answer = await ask(await request(encodeHistoryRequest({ ...query, upper: 0 })));
    expect(answer.sent).toHaveLength(3);
    // Envelopes were created at 1000, 1001 and 1002.
    const early = await setup({ clock: new ManualClock(941_000) });
    expect(
      (await early.ask(await request(encodeHistoryRequest({ ...query, upper: 0 })))).sent,
    ).toHaveLength(2);
  });

  it('serves at most maxPage envelopes, ending the page with a cursor', async () => {
    const { ask } = await setup({ maxPage: 2 });
    const answer = await ask(await request(encodeHistoryRequest({ ...query, limit: 0 })));
    expect(answer.kind).toBe('complete');
    expect(answer.sent.map((e) => e.data[0])).toEqual([0, 1]);
    expect((answer.detail as { cursor: Uint8Array }).cursor).toHaveLength(36);
  });

  it("answers 'archive query failed' when the archive fails", async () => {
    const failing = { query: () => Promise.reject(new Error('the disk is on fire')) };
    const { ask } = await setup({ archive: failing });
    const answer = await ask(await request(encodeHistoryRequest(query)));
    expect(answer).toMatchObject({ kind: 'fail', detail: 'archive query failed', sent: [] });
  });

  it('leaves out envelopes larger than the link carries, and refuses a second request in flight', async () => {
    const { ask, archive } = await setup();
    const big = createEnvelope({
      expiry: 1100,
      ttl: 50,
      topic: Uint8Array.of(1, 2, 3, 4),
      data: new Uint8Array(4096),
      nonce: 0n,
    });
    await archive.add(big, encodeEnvelope(big), envelopeHash(big));
    const small = await ask(await request(encodeHistoryRequest(query)), 1024);
    expect(small.kind).toBe('complete');
    expect(small.sent.map((e) => e.data.length)).toEqual([1, 1, 1]);
    const one = await request(encodeHistoryRequest(query));
    const two = await request(encodeHistoryRequest(query));
    const [first, second] = await Promise.all([ask(one), ask(two)]);
    expect(first.kind).toBe('complete');
    expect(second).toMatchObject({ kind: 'fail', detail: expect.stringMatching(/busy/) });
  });

  it('stays silent on an unsigned request, another key, or a malformed payload', async () => {
    const { ask } = await setup();
    for (const bad of [
      await request(encodeHistoryRequest(query), { signed: false }),
      await request(encodeHistoryRequest(query), { key: generateSymKey() }),
      await request(Uint8Array.of(0xc0)),
    ]) {
      const answer = await ask(bad);
      expect(answer.kind).toBe('silence');
      expect(answer.sent).toEqual([]);
    }
  });
});
