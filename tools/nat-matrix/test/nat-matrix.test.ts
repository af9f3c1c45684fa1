/**
 * The real NAT matrix (issue 13 item 4): network namespaces with full-cone, address-restricted,
 * port-restricted and symmetric NATs built with iptables; every pair of types gets a
 * connection; symmetric ↔ symmetric goes through the relay, full cone ↔ full cone and
 * port-restricted ↔ port-restricted (endpoint-independent mappings both) directly.
 * Needs root, `ip` and `iptables`: elsewhere it fails saying so, unless HUSH_SKIP_NAT=1.
 */
import { describe, expect, it } from 'vitest';
import { formatTable, runMatrix } from '../src/matrix.js';
import { unsupported } from '../src/netns.js';

const skip = process.env.HUSH_SKIP_NAT === '1';

describe.skipIf(skip)('the NAT matrix', () => {
  it('connects every pair of NAT types, directly or through the relay', {
    timeout: 120_000,
  }, async () => {
    const why = unsupported();
    if (why) throw new Error(`${why}; set HUSH_SKIP_NAT=1 to skip the NAT matrix`);
    const results = await runMatrix();
    console.log(formatTable(results));
    expect(results).toHaveLength(10);
    for (const r of results)
      expect([`${r.a} ↔ ${r.b}`, r.ok, r.error]).toEqual([`${r.a} ↔ ${r.b}`, true, undefined]);
    const find = (a: string, b: string) => results.find((r) => r.a === a && r.b === b)!;
    expect(find('symmetric', 'symmetric').path).toBe('relay');
    expect(find('full-cone', 'full-cone').path).toBe('webrtc');
    expect(find('port-restricted', 'port-restricted').path).toBe('webrtc');
  });
});
