/**
 * What a client of a mailserver names before asking it (specs/mailserver §2.1, §6.1): the
 * mailserver's gossip peer id from the forms clients give it, and the bloom a request carries
 * for its topics.
 */
import { fullBloom, topicsToBloom } from '@hush/bloom';

/**
 * The mailserver's gossip id as the engine names its peers (130 lowercase hex digits, 04…),
 * from `0x04…`, `04…` or an `enode://<128 hex>@…` URL (as status-go's `mailServerPeer`).
 *
 * @returns the id, or undefined when `peer` is none of those forms
 */
export function mailserverPeerId(peer: string): string | undefined {
  const enode = /^enode:\/\/([0-9a-fA-F]{128})@/.exec(peer);
  const id = enode ? `04${enode[1]!.toLowerCase()}` : peer.replace(/^0x/, '').toLowerCase();
  return /^04[0-9a-f]{128}$/.test(id) ? id : undefined;
}

/** The bloom of a history request: its topics' OR, or every bit when it names no topic. */
export function historyBloom(topics: readonly Uint8Array[]): Uint8Array {
  return topics.length > 0 ? topicsToBloom(topics) : fullBloom();
}
