/**
 * specs/rlpx SPEC §10.3: the routing table's /24 accounting stays exact as nodes move between
 * the replacements and the live entries.
 */
import { describe, expect, it } from 'vitest';
import { BUCKET_SIZE, RoutingTable, type TableNode } from '../src/discovery/table.js';

/** A node at log distance 256 from the all-zero id (the last bucket), on `ip`. */
function far(n: number, ip: readonly number[]): TableNode {
  const id = new Uint8Array(32);
  id[0] = 0x80;
  id[30] = n >> 8;
  id[31] = n & 0xff;
  return { id, publicKey: new Uint8Array(65), ip: Uint8Array.from(ip), udp: 30303, tcp: 30303 };
}

describe('routing table subnet limits (SPEC §10.3)', () => {
  it('a replacement that enters the live entries is counted once in its /24', () => {
    const table = new RoutingTable(new Uint8Array(32));
    const entries = Array.from({ length: BUCKET_SIZE }, (_, i) => far(i, [20, i, 0, 1]));
    for (const n of entries) expect(table.addVerified(n)).toBe('added');
    const x = far(100, [30, 1, 2, 3]);
    expect(table.addVerified(x)).toBe('replacement');
    table.delete(entries[0]!.id);
    table.delete(entries[1]!.id);
    expect(table.addVerified(x)).toBe('added');
    // The bucket allows two of 30.1.2.0/24: x and one more.
    expect(table.addVerified(far(101, [30, 1, 2, 4]))).toBe('added');
    expect(table.addVerified(far(102, [30, 1, 2, 5]))).toBe('refused');
  });
});
