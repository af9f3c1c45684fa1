/**
 * The inbox messages on the wire (specs/inbox-dht/SPEC.md §3.4): the bodies of
 * STORE_DESCRIPTOR, GET_DESCRIPTOR, DEPOSIT, FETCH and DELETE and of their answers
 * 0x15–0x19, of RESTORE (0x1a) and its answer RESTORED (0x1b), and of a repair's OFFER (0x1c)
 * and OFFERED (0x1d) (§8.2), each one RLP list decoded strictly (exactly its items, every
 * length bounded, nothing after), and {@link holderServer}, which answers them from a {@link Holder}.
 * A refusal is an ERROR with the holder's `DhtError` code.
 */
import { decodeEnvelope, type Envelope, encodeEnvelope, envelopeHashAndPow } from '@hush/envelope';
import type { InboxItem, InboxPage, PeerId } from '@hush/interface';
import { encodeBytes, encodeList, encodeUint, RlpStream } from '@hush/rlp';
import {
  type Descriptor,
  decodeDescriptor,
  encodeDescriptor,
  MAX_DESCRIPTOR_LENGTH,
} from './descriptor.js';
import { DhtError } from './errors.js';
import type { Holder } from './holder.js';
import { equalBytes, LOCATION_LENGTH } from './location.js';
import {
  decodeRequest,
  encodeRequest,
  ITEM_ID_LENGTH,
  MAX_FETCH_LIMIT,
  MAX_REQUEST_IDS,
  MAX_REQUEST_LENGTH,
  type SignedRequest,
} from './requests.js';
import type { DhtServer } from './rpc-connection.js';
import { type DhtMessage, MessageType } from './wire.js';

/** The answers of the inbox operations (§3.4): request type + 5, and 0x1b for RESTORE. */
export const InboxAnswer = {
  /** To STORE_DESCRIPTOR: []. */
  Stored: 0x15,
  /** To GET_DESCRIPTOR: [] or [descriptor]. */
  Descriptor: 0x16,
  /** To DEPOSIT: [stored (0 or 1)]. */
  Deposited: 0x17,
  /** To FETCH: [[[id, envelope], …], cursor]. */
  Page: 0x18,
  /** To DELETE: [[removed id, …]]. */
  Deleted: 0x19,
  /** To RESTORE (0x1a): [count]. */
  Restored: 0x1b,
  /** To OFFER (0x1c): [[wanted id, …], [deleted id, …]] (§8.2). */
  Offered: 0x1d,
} as const;

/** Item ids one OFFER names at most (§8.2). */
export const MAX_OFFER_IDS = 256;

/** The largest envelope encoding a DEPOSIT or a PAGE item carries (a frame's worth). */
export const MAX_WIRE_ENVELOPE = 1024 * 1024 + 1024;
/**
 * Bytes of a PAGE frame besides its items, at most: the message's version, type and request
 * id, the list headers and a 36-byte cursor (56 in all), rounded up.
 */
const PAGE_OVERHEAD = 64;

/** A decoded inbox request or answer. */
export type InboxBody =
  | { readonly type: 0x10; readonly descriptor: Descriptor; readonly cas?: bigint }
  | { readonly type: 0x11; readonly location: Uint8Array }
  | { readonly type: 0x12; readonly location: Uint8Array; readonly envelope: Uint8Array }
  | { readonly type: 0x13; readonly request: SignedRequest }
  | { readonly type: 0x14; readonly request: SignedRequest }
  | { readonly type: 0x15 }
  | { readonly type: 0x16; readonly descriptor: Descriptor | undefined }
  | { readonly type: 0x17; readonly stored: boolean }
  | { readonly type: 0x18; readonly page: InboxPage<Envelope> }
  | { readonly type: 0x19; readonly count: number; readonly ids: readonly Uint8Array[] }
  | { readonly type: 0x1a; readonly request: SignedRequest }
  | { readonly type: 0x1b; readonly count: number }
  | { readonly type: 0x1c; readonly location: Uint8Array; readonly ids: readonly Uint8Array[] }
  | {
      readonly type: 0x1d;
      readonly wanted: readonly Uint8Array[];
      readonly deleted: readonly Uint8Array[];
    };

const msg = (type: number, body: Uint8Array): DhtMessage => ({ type, requestId: 0, body });

/** STORE_DESCRIPTOR: [descriptor] or [descriptor, cas]. */
export function storeDescriptorMessage(descriptor: Descriptor, cas?: bigint): DhtMessage {
  const items = [encodeBytes(encodeDescriptor(descriptor))];
  if (cas !== undefined) items.push(encodeUint(cas));
  return msg(MessageType.StoreDescriptor, encodeList(items));
}

/** GET_DESCRIPTOR: [location]. @throws RangeError for a location not 32 bytes */
export function getDescriptorMessage(location: Uint8Array): DhtMessage {
  if (location.length !== LOCATION_LENGTH) throw new RangeError('location: 32 bytes');
  return msg(MessageType.GetDescriptor, encodeList([encodeBytes(location)]));
}

/** DEPOSIT: [location, envelope]. @throws RangeError for a location not 32 bytes */
export function depositMessage(location: Uint8Array, envelope: Envelope | Uint8Array): DhtMessage {
  if (location.length !== LOCATION_LENGTH) throw new RangeError('location: 32 bytes');
  const bytes = envelope instanceof Uint8Array ? envelope : encodeEnvelope(envelope);
  return msg(MessageType.Deposit, encodeList([encodeBytes(location), encodeBytes(bytes)]));
}

function checkIds(ids: readonly Uint8Array[], what: string): void {
  if (ids.length > MAX_OFFER_IDS) throw new RangeError(`${what}: at most ${MAX_OFFER_IDS} ids`);
  if (ids.some((id) => !(id instanceof Uint8Array) || id.length !== ITEM_ID_LENGTH))
    throw new RangeError(`${what}: each id ${ITEM_ID_LENGTH} bytes`);
}

/**
 * OFFER: [location, [id, …]] — the items a holder holds at a location, offered to another
 * holder in a repair (§8.2).
 *
 * @throws RangeError for a location not 32 bytes, more than 256 ids or an id not 36 bytes
 */
export function offerMessage(location: Uint8Array, ids: readonly Uint8Array[]): DhtMessage {
  if (location.length !== LOCATION_LENGTH) throw new RangeError('location: 32 bytes');
  checkIds(ids, 'ids');
  return msg(
    MessageType.Offer,
    encodeList([encodeBytes(location), encodeList(ids.map((id) => encodeBytes(id)))]),
  );
}

/**
 * OFFERED: [[wanted id, …], [deleted id, …]] — of the ids offered, those the holder lacks and
 * those it holds a tombstone for (§8.2).
 *
 * @throws RangeError for more than 256 ids in a list or an id not 36 bytes
 */
export function offeredMessage(
  wanted: readonly Uint8Array[],
  deleted: readonly Uint8Array[],
): DhtMessage {
  checkIds(wanted, 'wanted');
  checkIds(deleted, 'deleted');
  return msg(
    InboxAnswer.Offered,
    encodeList([
      encodeList(wanted.map((id) => encodeBytes(id))),
      encodeList(deleted.map((id) => encodeBytes(id))),
    ]),
  );
}

/** A list of at most 256 ids of 36 bytes. */
function readIds(s: RlpStream, what: string): Uint8Array[] {
  const ids: Uint8Array[] = [];
  s.list();
  while (!s.atListEnd()) {
    if (ids.length === MAX_OFFER_IDS) throw new Error(`more than ${MAX_OFFER_IDS} ${what}`);
    ids.push(bounded(s, 0, 'an item id', ITEM_ID_LENGTH));
  }
  s.leave();
  return ids;
}

/**
 * FETCH, DELETE or RESTORE (by the request's op): [signed request].
 *
 * @throws DhtError 'malformed' for a bad request
 */
export function signedRequestMessage(request: SignedRequest): DhtMessage {
  const type =
    request.op === 'fetch'
      ? MessageType.Fetch
      : request.op === 'delete'
        ? MessageType.Delete
        : MessageType.Restore;
  return msg(type, encodeList([encodeBytes(encodeRequest(request))]));
}

function itemOf(id: Uint8Array, envelope: Envelope): Uint8Array {
  return encodeList([encodeBytes(id), encodeBytes(encodeEnvelope(envelope))]);
}

/**
 * The answer of a page, cut to at most `budget` bytes of items: the cursor of a cut page is
 * the id of its last item, so the asker reads on from there.
 */
export function pageMessage(page: InboxPage<Envelope>, budget = MAX_WIRE_ENVELOPE): DhtMessage {
  const items: Uint8Array[] = [];
  // The message header, the page's list headers and its cursor are in the frame too.
  const room = budget - PAGE_OVERHEAD;
  let size = 0;
  let cursor = page.cursor;
  for (const item of page.items) {
    const encoded = itemOf(item.id, item.envelope);
    if (size + encoded.length > room && items.length > 0) {
      cursor = page.items[items.length - 1]!.id;
      break;
    }
    items.push(encoded);
    size += encoded.length;
  }
  return msg(InboxAnswer.Page, encodeList([encodeList(items), encodeBytes(cursor)]));
}

/**
 * DELETED: [[removed id, …]] — the ids of the items the holder held and removed (§3.4).
 *
 * @throws RangeError for more than 256 ids or an id not 36 bytes
 */
export function deletedMessage(ids: readonly Uint8Array[]): DhtMessage {
  checkIds(ids, 'ids');
  return msg(InboxAnswer.Deleted, encodeList([encodeList(ids.map((id) => encodeBytes(id)))]));
}

/** An answer without a page or ids. */
export function inboxAnswer(
  type: 0x15 | 0x16 | 0x17 | 0x1b,
  value?: Descriptor | boolean | number,
): DhtMessage {
  if (type === InboxAnswer.Stored) return msg(type, encodeList([]));
  if (type === InboxAnswer.Descriptor)
    return msg(type, encodeList(value ? [encodeBytes(encodeDescriptor(value as Descriptor))] : []));
  if (type === InboxAnswer.Deposited) return msg(type, encodeList([encodeUint(value ? 1 : 0)]));
  return msg(type, encodeList([encodeUint(value as number)]));
}

function bounded(s: RlpStream, max: number, what: string, exact?: number): Uint8Array {
  const bytes = s.string();
  if (exact !== undefined ? bytes.length !== exact : bytes.length > max)
    throw new Error(`${what} of ${bytes.length} bytes`);
  return bytes;
}

/** The 36-byte id of an envelope: sent (expiry − ttl) ‖ hash (§5.1). */
export function envelopeItemId(envelope: Envelope): Uint8Array {
  const id = new Uint8Array(ITEM_ID_LENGTH);
  new DataView(id.buffer).setUint32(0, (envelope.expiry - envelope.ttl) >>> 0);
  id.set(envelopeHashAndPow(envelope).hash, 4);
  return id;
}

/**
 * Reads the body of an inbox message strictly (§3.4): a page's ids must be those of its
 * envelopes.
 *
 * @throws DhtError 'malformed', with the cause
 */
export function decodeInboxBody(message: DhtMessage): InboxBody {
  if (!('body' in message)) throw new DhtError('malformed', 'not an inbox message');
  try {
    const s = new RlpStream(message.body);
    s.list();
    let body: InboxBody;
    switch (message.type) {
      case MessageType.StoreDescriptor: {
        const descriptor = decodeDescriptor(bounded(s, MAX_DESCRIPTOR_LENGTH, 'a descriptor'));
        body = s.atListEnd()
          ? { type: 0x10, descriptor }
          : { type: 0x10, descriptor, cas: s.uint(8) };
        break;
      }
      case MessageType.GetDescriptor:
        body = { type: 0x11, location: bounded(s, 0, 'a location', LOCATION_LENGTH) };
        break;
      case MessageType.Deposit:
        body = {
          type: 0x12,
          location: bounded(s, 0, 'a location', LOCATION_LENGTH),
          envelope: bounded(s, MAX_WIRE_ENVELOPE, 'an envelope'),
        };
        break;
      case MessageType.Fetch:
      case MessageType.Delete:
      case MessageType.Restore: {
        const request = decodeRequest(bounded(s, MAX_REQUEST_LENGTH, 'a request'));
        const op =
          message.type === MessageType.Fetch
            ? 'fetch'
            : message.type === MessageType.Delete
              ? 'delete'
              : 'restore';
        if (request.op !== op) throw new Error(`a ${request.op} request in type ${message.type}`);
        body = { type: message.type, request };
        break;
      }
      case InboxAnswer.Stored:
        body = { type: 0x15 };
        break;
      case InboxAnswer.Descriptor:
        body = {
          type: 0x16,
          descriptor: s.atListEnd()
            ? undefined
            : decodeDescriptor(bounded(s, MAX_DESCRIPTOR_LENGTH, 'a descriptor')),
        };
        break;
      case InboxAnswer.Deposited: {
        const stored = s.uintNumber(1);
        if (stored > 1) throw new Error(`stored ${stored}`);
        body = { type: 0x17, stored: stored === 1 };
        break;
      }
      case InboxAnswer.Page: {
        const items: InboxItem<Envelope>[] = [];
        s.list();
        while (!s.atListEnd()) {
          if (items.length === MAX_FETCH_LIMIT)
            throw new Error(`more than ${MAX_FETCH_LIMIT} items`);
          s.list();
          const id = bounded(s, 0, 'an item id', ITEM_ID_LENGTH);
          const envelope = decodeEnvelope(bounded(s, MAX_WIRE_ENVELOPE, 'an envelope'));
          if (!s.atListEnd()) throw new Error('items after an item');
          s.leave();
          if (!equalBytes(id, envelopeItemId(envelope))) throw new Error('an id not its envelope');
          items.push({ id, envelope });
        }
        s.leave();
        const cursor = s.string();
        if (cursor.length !== 0 && cursor.length !== ITEM_ID_LENGTH)
          throw new Error(`a cursor of ${cursor.length} bytes`);
        body = { type: 0x18, page: { items, cursor } };
        break;
      }
      case InboxAnswer.Deleted: {
        const ids = readIds(s, 'deleted ids');
        body = { type: 0x19, count: ids.length, ids };
        break;
      }
      case InboxAnswer.Restored: {
        const count = s.uintNumber(2);
        if (count > MAX_REQUEST_IDS) throw new Error(`a count of ${count}`);
        body = { type: 0x1b, count };
        break;
      }
      case MessageType.Offer:
        body = {
          type: 0x1c,
          location: bounded(s, 0, 'a location', LOCATION_LENGTH),
          ids: readIds(s, 'ids'),
        };
        break;
      case InboxAnswer.Offered:
        body = { type: 0x1d, wanted: readIds(s, 'wanted ids'), deleted: readIds(s, 'deleted ids') };
        break;
      default:
        throw new Error(`type ${message.type} is no inbox message`);
    }
    if (!s.atListEnd()) throw new Error('items after the body');
    s.leave();
    if (!s.atEnd()) throw new Error('bytes after the body');
    return body;
  } catch (error) {
    if (error instanceof DhtError && error.code === 'malformed') throw error;
    throw new DhtError('malformed', `malformed inbox body: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** How a holder serves the network. */
export interface HolderServerOptions {
  /** Takes one request of `from` against its rate limit (the router's `admit`). */
  readonly admit?: (from: PeerId) => boolean;
  /** Bytes of items one PAGE answer carries at most (default 1 MiB). */
  readonly pageBudget?: number;
}

/**
 * Answers the inbox requests from `holder` (SPEC §5.2, §6.5, §6.7); other types are left to
 * another server (undefined).
 *
 * @throws DhtError: the holder's refusals (sent back as ERROR), 'quota' past the rate limit,
 *   'malformed' for a body that does not decode
 */
export function holderServer(holder: Holder, options: HolderServerOptions = {}): DhtServer {
  return async (from, message) => {
    if (
      (message.type < MessageType.StoreDescriptor || message.type > MessageType.Delete) &&
      message.type !== MessageType.Restore &&
      message.type !== MessageType.Offer
    )
      return undefined;
    if (options.admit && !options.admit(from))
      throw new DhtError('quota', `inbox rate limit of ${from.slice(0, 16)}…`);
    const body = decodeInboxBody(message);
    switch (body.type) {
      case 0x10:
        await holder.put(body.descriptor, body.cas === undefined ? {} : { cas: body.cas });
        return inboxAnswer(InboxAnswer.Stored);
      case 0x11:
        return inboxAnswer(InboxAnswer.Descriptor, await holder.descriptor(body.location));
      case 0x12: {
        const result = await holder.deposit(body.location, body.envelope, { peer: from });
        return inboxAnswer(InboxAnswer.Deposited, result.stored);
      }
      case 0x13:
        return pageMessage(await holder.fetch(body.request), options.pageBudget);
      case 0x14:
        return deletedMessage(await holder.deleteItems(body.request));
      case 0x1a:
        return inboxAnswer(InboxAnswer.Restored, await holder.restore(body.request));
      case 0x1c: {
        const { wanted, deleted } = await holder.offered(body.location, body.ids);
        return offeredMessage(wanted, deleted);
      }
      default:
        return undefined;
    }
  };
}

/** Servers tried in turn: the first answer (or refusal) wins. */
export function combineServers(...servers: readonly DhtServer[]): DhtServer {
  return async (from, message) => {
    for (const serve of servers) {
      const answer = await serve(from, message);
      if (answer) return answer;
    }
    return undefined;
  };
}
