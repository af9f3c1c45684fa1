/**
 * specs/inbox-dht/SPEC.md §3.1: a contact is dialed at each of its ws:// endpoints in turn;
 * the first that answers and proves the contact's key is the connection, and when none does
 * the error names each endpoint's failure (or that there was no ws:// endpoint at all).
 */
import type { Connection, PeerId, RawChannel } from '@hush/interface';
import { describe, expect, it } from 'vitest';
import { contactOf, endpointDialer } from '../src/index.js';

const peer = 'ab'.repeat(64) as PeerId;
function channel(address: string): RawChannel & { closed: boolean; address: string } {
  const c = {
    address,
    closed: false,
    close() {
      c.closed = true;
    },
  };
  return c as unknown as RawChannel & { closed: boolean; address: string };
}

describe('endpointDialer', () => {
  it('tries the endpoints in turn and returns the first secured connection', async () => {
    const dialed: string[] = [];
    const opened: (RawChannel & { closed: boolean })[] = [];
    const dial = endpointDialer(
      {
        async dial(address) {
          dialed.push(address);
          if (address.includes(':1')) throw new Error('refused');
          const c = channel(address);
          opened.push(c);
          return c;
        },
      },
      {
        async secureOutbound(raw, options) {
          expect(options?.remotePeer).toBe(peer);
          if ((raw as unknown as { address: string }).address.includes(':2'))
            throw new Error('wrong key');
          return { remoteKey: new Uint8Array(65) } as unknown as Connection;
        },
      },
    );
    const contact = contactOf(peer, ['ws://h:1', 'tcp://h:9', 'ws://h:2', 'wss://h:3']);
    await expect(dial(contact, {})).resolves.toBeDefined();
    expect(dialed).toEqual(['ws://h:1', 'ws://h:2', 'wss://h:3']);
    // The channel whose handshake failed was closed; the one that worked was not.
    expect(opened.map((c) => c.closed)).toEqual([true, false]);
  });

  it('names every failure, or the lack of a ws:// endpoint', async () => {
    const failing = endpointDialer(
      { dial: async () => Promise.reject(new Error('refused')) },
      { secureOutbound: async () => Promise.reject(new Error('unreachable')) },
    );
    await expect(failing(contactOf(peer, ['ws://h:1', 'ws://h:2']), {})).rejects.toThrow(
      /ws:\/\/h:1: refused; ws:\/\/h:2: refused/,
    );
    await expect(failing(contactOf(peer, ['tcp://h:1']), {})).rejects.toThrow(
      /no ws:\/\/ endpoint/,
    );
  });
});
