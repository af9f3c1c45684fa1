/**
 * A mailserver in-process for the mailserver suite's tests (specs/mailserver/SPEC.md): a Hush
 * gossip node with `@hush/mailserver`'s archive and request handler, wired as `hush start
 * --mailserver` wires them (apps/node/src/node.ts: every envelope accepted as new is archived,
 * §3), but with what `hush start` does not offer: a clock off this machine's (§6 of
 * whisper-v6, injected as `@hush/interface`'s Clock), and deliberate faults for the negative
 * tests. The archive is a MemoryStore whose range reads yield to the event loop every few
 * keys, as a disk store's reads do (LevelDB's run on a thread pool), so that a page is still
 * being read when a request sent right behind it arrives (§5.1).
 *
 * `@hush/mailserver` is not a dependency of this package (the suite builds its requests
 * itself); the tests take its sources by path.
 */
import { randomBytes } from '@hush/crypto';
import { type Envelope, encodeEnvelope } from '@hush/envelope';
import {
  type Clock,
  MemoryStore,
  type RangeOptions,
  type Store,
  systemClock,
} from '@hush/interface';
import {
  Archive,
  type ArchivePage,
  type MailserverOptions,
  mailserverHandler,
} from '@hush/mailserver';
import { symKeyFromPassword } from '@hush/message';
import { createGossipNode, type GossipNode, webSocketTransport } from '@hush/transport-gossip';

/** What the broken mailserver gets wrong. */
export interface MailserverFaults {
  /** Every page is as long as the server's maximum, whatever the request's limit (§4.1). */
  readonly ignoreLimit?: boolean;
  /** A page that follows a cursor starts again with the last envelope of the page before (§4.3). */
  readonly repeatAcrossPages?: boolean;
  /** A request arriving while the peer's previous one is served is served too, not `busy` (§5.1). */
  readonly neverBusy?: boolean;
}

export interface InProcessMailserverOptions {
  /** The node's clock minus this machine's, ms (default 0). */
  readonly offsetMs?: number;
  readonly faults?: MailserverFaults;
  /** Default `status-offline-inbox`. */
  readonly password?: string;
}

export interface InProcessMailserver {
  /** Its peer address, `ws://127.0.0.1:port#<static key>`. */
  readonly address: string;
  readonly node: GossipNode;
  stop(): Promise<void>;
}

/** A store whose range reads yield to the event loop every 8 keys, as a disk store's do. */
function slowReads(store: Store): Store {
  return {
    get: (key) => store.get(key),
    put: (key, value) => store.put(key, value),
    delete: (key) => store.delete(key),
    batch: (operations) => store.batch(operations),
    close: () => store.close(),
    async *range(options: RangeOptions) {
      let n = 0;
      for await (const entry of store.range(options)) {
        if (n++ % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
        yield entry;
      }
    },
  };
}

type Query = Archive['query'];

/** The archive as the handler reads it, with the faults of `faults`. */
function faultyArchive(archive: Archive, faults: MailserverFaults): Pick<Archive, 'query'> {
  const lastOfPage = new Map<string, { envelope: Envelope; encoded: Uint8Array; id: Uint8Array }>();
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const query: Query = async (lower, upper, selection, limit, cursor) => {
    const page: ArchivePage = await archive.query(
      lower,
      upper,
      selection,
      faults.ignoreLimit ? 1000 : limit,
      cursor,
    );
    if (!faults.repeatAcrossPages) return page;
    const repeated = lastOfPage.get(hex(cursor));
    if (page.cursor.length > 0 && page.envelopes.length > 0)
      lastOfPage.set(hex(page.cursor), {
        envelope: page.envelopes.at(-1)!,
        encoded: page.encoded.at(-1)!,
        id: page.ids.at(-1)!,
      });
    if (!repeated) return page;
    return {
      ...page,
      envelopes: [repeated.envelope, ...page.envelopes],
      encoded: [repeated.encoded, ...page.encoded],
      ids: [repeated.id, ...page.ids],
    };
  };
  return { query };
}

/**
 * Starts a mailserver node on a loopback port.
 *
 * @throws TransportError 'listen-failed' when it cannot listen
 */
export async function startInProcessMailserver(
  options: InProcessMailserverOptions = {},
): Promise<InProcessMailserver> {
  const offsetMs = options.offsetMs ?? 0;
  const clock: Clock = offsetMs
    ? { ...systemClock, now: () => Date.now() + offsetMs }
    : systemClock;
  const archive = new Archive(slowReads(new MemoryStore()));
  const handlerOptions: MailserverOptions = {
    archive: faultyArchive(archive, options.faults ?? {}),
    symKey: symKeyFromPassword(options.password ?? 'status-offline-inbox'),
    clock,
  };
  const serve = mailserverHandler(handlerOptions);
  const key = randomBytes(32);
  const node = createGossipNode({
    key,
    transport: webSocketTransport({ privateKey: key, host: '127.0.0.1', port: 0 }),
    clock,
    // A handler of its own for each request keeps no request in flight to be busy about.
    onP2PRequest: options.faults?.neverBusy
      ? (request, peer) => mailserverHandler(handlerOptions)(request, peer)
      : serve,
  });
  node.engine.on('envelope', (accepted) => {
    if (accepted.p2p) return;
    void archive.add(accepted.envelope, encodeEnvelope(accepted.envelope), accepted.hash);
  });
  await node.start();
  return { address: node.linkAddresses[0]!, node, stop: () => node.stop() };
}
