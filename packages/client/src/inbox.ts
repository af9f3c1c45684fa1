/**
 * Fetch-and-delete of an offline inbox into a client's filters (specs/inbox-dht/SPEC.md §6.7,
 * §6.8; specs/whisper-v6 SPEC §5.7 for the filters): every page of any `Inbox` of
 * `@hush/interface` (the DHT inbox, a holder's, a mailserver archive) is read, each envelope
 * handed to the client's filters and subscriptions as source `inbox` (peer-to-peer in geth's
 * sense: only filters that allow p2p receive it), then the page's items are deleted from the
 * inbox. Browser-safe: no Node built-ins.
 */
import { type Envelope, envelopeHash } from '@hush/envelope';
import { type AbortOptions, type Inbox, type InboxQuery, throwIfAborted } from '@hush/interface';
import { toHex } from './hex.js';

/**
 * What the drain delivers into: a `HushClient`, or anything that delivers as it does. A
 * target that keeps what it is given (an app writing its history) returns a promise: the
 * drain waits for it before deleting the page, and when it rejects the page stays held.
 */
export interface InboxDeliveryTarget {
  deliver(received: {
    readonly envelope: Envelope;
    readonly hash: Uint8Array;
    readonly source: 'inbox';
  }): void | Promise<void>;
}

/** How an inbox is drained. */
export interface DrainInboxOptions extends AbortOptions {
  /** Envelopes asked for per page (default 100). */
  readonly pageSize?: number;
  /** Pages read at most (default 1,000): a bound on one drain, whatever the inbox answers. */
  readonly maxPages?: number;
  /** Only these topics (4 bytes each), as `InboxQuery.topics`. */
  readonly topics?: readonly Uint8Array[];
  /** Delete what was delivered (default true: fetch-and-delete). */
  readonly delete?: boolean;
}

/** What a drain did. */
export interface DrainInboxResult {
  /** Envelopes fetched and handed to the filters (each once, whatever the filters kept). */
  readonly fetched: number;
  /** Items the inbox said it deleted. */
  readonly deleted: number;
  /** Pages read. */
  readonly pages: number;
}

/**
 * Reads every page of `inbox`, delivers each envelope to `client`'s filters and subscriptions
 * (source `inbox`, so only filters with `allowP2P` open it), and deletes each page's items
 * once they were delivered, then reads on from the page's cursor. An envelope on two pages
 * (an inbox merging several holders may repeat one) is delivered once.
 *
 * @throws RangeError if `pageSize` or `maxPages` is not a positive integer
 * @throws InboxError of `@hush/interface` ('bad-cursor', 'closed', or the inbox's refusal) as
 *   the inbox throws it: what was delivered before stays delivered, and what was not deleted
 *   stays in the inbox for the next drain
 * @throws the signal's reason when `signal` is aborted
 * @example
 * ```ts
 * const { fetched, deleted } = await drainInbox(inbox, client);
 * ```
 */
export async function drainInbox(
  inbox: Inbox<Envelope>,
  client: InboxDeliveryTarget,
  options: DrainInboxOptions = {},
): Promise<DrainInboxResult> {
  const pageSize = options.pageSize ?? 100;
  const maxPages = options.maxPages ?? 1000;
  if (!Number.isInteger(pageSize) || pageSize < 1)
    throw new RangeError(`pageSize must be a positive integer, not ${pageSize}`);
  if (!Number.isInteger(maxPages) || maxPages < 1)
    throw new RangeError(`maxPages must be a positive integer, not ${maxPages}`);
  const abort = options.signal ? { signal: options.signal } : {};
  const seen = new Set<string>();
  let fetched = 0;
  let deleted = 0;
  let pages = 0;
  let cursor: Uint8Array | undefined;
  do {
    throwIfAborted(options);
    const query: InboxQuery = {
      limit: pageSize,
      ...(options.topics && options.topics.length > 0 ? { topics: options.topics } : {}),
      ...(cursor ? { cursor } : {}),
    };
    const page = await inbox.fetch(query, abort);
    pages++;
    for (const item of page.items) {
      const hash = envelopeHash(item.envelope);
      const key = toHex(hash);
      if (seen.has(key)) continue;
      seen.add(key);
      await client.deliver({ envelope: item.envelope, hash, source: 'inbox' });
      fetched++;
    }
    if (options.delete !== false && page.items.length > 0)
      deleted += await inbox.delete(
        page.items.map((item) => item.id),
        abort,
      );
    cursor = page.cursor.length > 0 ? page.cursor : undefined;
  } while (cursor && pages < maxPages);
  return { fetched, deleted, pages };
}
