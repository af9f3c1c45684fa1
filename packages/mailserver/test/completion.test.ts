/**
 * The p2pRequestComplete body (specs/mailserver §5.2, §5.3), byte for byte: requestId ‖
 * lastEnvelopeHash ‖ cursor, or `ERROR=` ‖ requestId ‖ reason; too short for its form, it is
 * refused.
 */
import { describe, expect, it } from 'vitest';
import { decodeRequestComplete, encodeRequestComplete, encodeRequestFailed } from '../src/index.js';

const id = Uint8Array.from({ length: 32 }, (_, i) => i);
const last = new Uint8Array(32).fill(9);
const ascii = (text: string) => new TextEncoder().encode(text);

describe('p2pRequestComplete body', () => {
  it('is requestId ‖ lastEnvelopeHash ‖ cursor when answered, and reads back', () => {
    const cursor = new Uint8Array(36).fill(7);
    const body = encodeRequestComplete(id, last, cursor);
    expect(body).toEqual(Uint8Array.from([...id, ...last, ...cursor]));
    expect(decodeRequestComplete(body)).toEqual({
      requestId: id,
      lastEnvelopeHash: last,
      cursor,
      error: undefined,
    });
    expect(decodeRequestComplete(encodeRequestComplete(id, last, new Uint8Array(0)))).toEqual({
      requestId: id,
      lastEnvelopeHash: last,
      cursor: new Uint8Array(0),
      error: undefined,
    });
  });

  it('is ERROR= ‖ requestId ‖ reason on failure, the reason cut to 256 characters', () => {
    const body = encodeRequestFailed(id, 'archive query failed');
    expect(body).toEqual(
      Uint8Array.from([...ascii('ERROR='), ...id, ...ascii('archive query failed')]),
    );
    expect(decodeRequestComplete(body)).toEqual({
      requestId: id,
      lastEnvelopeHash: new Uint8Array(32),
      cursor: new Uint8Array(0),
      error: 'archive query failed',
    });
    expect(encodeRequestFailed(id, 'x'.repeat(300))).toHaveLength(6 + 32 + 256);
    expect(decodeRequestComplete(encodeRequestFailed(id, '')).error).toBe('request failed');
  });

  it("refuses a body too short for its form with MailserverError 'invalid-completion'", () => {
    const refused = expect.objectContaining({
      name: 'MailserverError',
      code: 'invalid-completion',
    });
    for (const body of [
      new Uint8Array(0),
      new Uint8Array(63),
      ascii('ERROR='),
      Uint8Array.from([...ascii('ERROR='), ...new Uint8Array(31)]),
    ])
      expect(() => decodeRequestComplete(body)).toThrow(refused);
    expect(() => encodeRequestComplete(id, new Uint8Array(31), new Uint8Array(0))).toThrow(
      RangeError,
    );
  });
});
