/**
 * Iterative lookups (SPEC §2.3) in the manner of S/Kademlia: the seeds (the table's k closest
 * to the target) are dealt round-robin over d disjoint paths; each path keeps its own
 * candidates, closest first, and keeps α requests in flight to the closest it has not asked
 * (all of its k closest once an answer brings nothing closer: converged), until its k closest
 * live candidates have all answered. The paths share one seen-set: a node
 * that one path heard of first is never asked by another, so a path through honest nodes
 * cannot be captured by what an adversary tells another path. The result is the k closest
 * nodes that answered, over every path.
 *
 * An answer with more than k contacts, one that fails to decode, or one of which no contact
 * would rank among the k closest live candidates of the path that asked (a node steering the
 * lookup away; measured against the path, not the whole lookup, since a slower disjoint path's
 * honest nodes answer about keyspace the other paths have passed) is penalised: its contacts
 * are discarded, its sender is left out of the result and counted.
 */
import type { Clock } from '@hush/interface';
import { DhtError } from '../errors.js';
import type { Contact } from './contact.js';
import { compareDistance, idEquals, idHex, type NodeId } from './id.js';
import { K } from './table.js';

/** Kademlia's α: requests in flight per path. */
export const ALPHA = 3;
/** S/Kademlia's d: disjoint paths per lookup. */
export const PATHS = 4;
/** Time a FIND_NODE may take before the node counts as unresponsive (ms). */
export const REQUEST_TIMEOUT_MS = 2_000;

/** The request a lookup sends: any transport (Noise links, an in-memory network) provides it. */
export interface FindNodeRpc {
  /**
   * Asks `peer` for the contacts it knows closest to `target`. The answer must come from that
   * peer, authenticated; contacts' ids are computed from their keys.
   *
   * @throws DhtError 'malformed' for an answer that does not decode; anything else counts as
   *   no answer
   */
  findNode(
    peer: Contact,
    target: NodeId,
    options: { readonly signal: AbortSignal },
  ): Promise<readonly Contact[]>;
}

/** Why an answer was penalised. */
export type PenaltyReason =
  /** It did not decode as a NODES message (or was not one). */
  | 'malformed'
  /** More than k contacts. */
  | 'too-many'
  /** None of its contacts near the target (steering the lookup away). */
  | 'misrouted';

/** Why a request got no answer. */
export type FailureReason =
  | 'timeout'
  | 'error'
  /** It answered ERROR `quota`: alive, but over its rate limit for us. */
  | 'busy';

/** What to look up, and how. */
export interface LookupOptions {
  readonly target: NodeId;
  /** Nodes to start from (the table's closest to the target). */
  readonly seeds: readonly Contact[];
  readonly rpc: FindNodeRpc;
  readonly clock: Clock;
  /** This node: never asked, never in the result. */
  readonly self?: NodeId;
  /** Size of the result (default 20). */
  readonly k?: number;
  /** Requests in flight per path (default 3). */
  readonly alpha?: number;
  /** Disjoint paths (default 4; 1 is plain Kademlia). */
  readonly paths?: number;
  /** Per-request timeout (default 2 s). */
  readonly timeoutMs?: number;
  /** Requests one lookup may send in all (default 8 × k × paths... at most 640). */
  readonly maxQueries?: number;
  readonly signal?: AbortSignal;
  /** Told of every node that answered acceptably (to update the table). */
  readonly onResponse?: (contact: Contact) => void;
  /** Told of every node that did not answer. */
  readonly onFailure?: (contact: Contact, reason: FailureReason) => void;
  /** Told of every node whose answer was penalised. */
  readonly onPenalty?: (contact: Contact, reason: PenaltyReason) => void;
}

/** What a lookup found. */
export interface LookupResult {
  readonly target: NodeId;
  /** The k closest nodes that answered, closest first. */
  readonly closest: readonly Contact[];
  /**
   * Hops to the closest node found: a seed is 1 hop away, a node first heard of in an
   * answer of a node h hops away is h + 1 (0 when nothing answered).
   */
  readonly hops: number;
  /** Requests sent, answered acceptably, unanswered, penalised. */
  readonly queried: number;
  readonly responded: number;
  readonly failed: number;
  readonly penalised: number;
}

type State = 'new' | 'pending' | 'answered' | 'failed' | 'penalised';

interface Candidate {
  readonly contact: Contact;
  /** Hops to it when asked. */
  readonly depth: number;
  state: State;
}

interface Path {
  /** Closest first. */
  readonly candidates: Candidate[];
  inFlight: number;
  done: boolean;
  /**
   * An answer brought nothing closer than the path's closest live candidate: as Kademlia's
   * paper says, the path then asks all of its k closest not yet asked at once, not α.
   */
  converged: boolean;
}

/**
 * Runs one lookup.
 *
 * @throws DhtError 'closed' when `signal` aborts it
 * @throws RangeError for a target that is not 32 bytes or a parameter that is not a positive
 *   integer
 */
export function lookup(options: LookupOptions): Promise<LookupResult> {
  const { target, rpc, clock, self } = options;
  if (!(target instanceof Uint8Array) || target.length !== 32)
    throw new RangeError('target: a 32-byte id');
  const k = positive(options.k ?? K, 'k');
  const alpha = positive(options.alpha ?? ALPHA, 'alpha');
  const d = positive(options.paths ?? PATHS, 'paths');
  const timeoutMs = positive(options.timeoutMs ?? REQUEST_TIMEOUT_MS, 'timeoutMs');
  const maxQueries = positive(options.maxQueries ?? Math.min(640, 8 * k * d), 'maxQueries');
  const signal = options.signal;
  signal?.throwIfAborted();

  const closer = (a: Candidate, b: Candidate) =>
    compareDistance(target, a.contact.id, b.contact.id);
  const seen = new Map<string, Candidate>();
  const all: Candidate[] = [];
  const paths: Path[] = Array.from({ length: d }, () => ({
    candidates: [],
    inFlight: 0,
    done: false,
    converged: false,
  }));
  const add = (path: Path, contact: Contact, depth: number): void => {
    if (self && idEquals(contact.id, self)) return;
    const key = idHex(contact.id);
    if (seen.has(key)) return;
    const candidate: Candidate = { contact, depth, state: 'new' };
    seen.set(key, candidate);
    all.push(candidate);
    insertSorted(path.candidates, candidate, closer);
  };
  const seeds = [...options.seeds].sort((a, b) => compareDistance(target, a.id, b.id));
  let dealt = 0;
  for (const seed of seeds) {
    const before = seen.size;
    add(paths[dealt % d]!, seed, 1);
    if (seen.size > before) dealt++;
  }

  let queried = 0;
  let responded = 0;
  let failed = 0;
  let penalised = 0;
  const controllers = new Set<AbortController>();

  return new Promise<LookupResult>((resolve, reject) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      signal?.removeEventListener('abort', onAbort);
      for (const controller of controllers) controller.abort();
      const answered = all.filter((c) => c.state === 'answered').sort(closer);
      const closest = answered.slice(0, k);
      resolve({
        target,
        closest: closest.map((c) => c.contact),
        hops: closest[0]?.depth ?? 0,
        queried,
        responded,
        failed,
        penalised,
      });
    };
    const onAbort = () => {
      if (finished) return;
      finished = true;
      for (const controller of controllers) controller.abort();
      reject(new DhtError('closed', 'lookup aborted', { cause: signal?.reason }));
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    /**
     * The k-th closest live candidate of `path`, if it knows k: the paths are disjoint, so a
     * slower path's honest nodes answer about its own part of the keyspace, which the other
     * paths' candidates may already have passed (judged against every path, they would be
     * penalised as misrouted for being on a slower path).
     */
    const kthLive = (path: Path): Candidate | undefined => {
      let n = 0;
      for (const c of path.candidates)
        if (c.state !== 'failed' && c.state !== 'penalised' && ++n === k) return c;
      return undefined;
    };

    const answer = (path: Path, candidate: Candidate, contacts: readonly Contact[]): void => {
      if (!Array.isArray(contacts)) {
        penalty(candidate, 'malformed');
        return;
      }
      if (contacts.length > k) {
        penalty(candidate, 'too-many');
        return;
      }
      const kth = kthLive(path);
      if (kth && contacts.length > 0) {
        const useful = contacts.some(
          (c) => compareDistance(target, c.id, kth.contact.id) <= 0 || idEquals(c.id, target),
        );
        if (!useful) {
          penalty(candidate, 'misrouted');
          return;
        }
      }
      candidate.state = 'answered';
      responded++;
      options.onResponse?.(candidate.contact);
      if (path.done) return;
      const before = closestLive(path);
      for (const contact of contacts) add(path, contact, candidate.depth + 1);
      if (closestLive(path) === before) path.converged = true;
    };

    const closestLive = (path: Path): Candidate | undefined =>
      path.candidates.find((c) => c.state !== 'failed' && c.state !== 'penalised');

    const penalty = (candidate: Candidate, reason: PenaltyReason): void => {
      candidate.state = 'penalised';
      penalised++;
      options.onPenalty?.(candidate.contact, reason);
    };

    const query = (path: Path, candidate: Candidate): void => {
      candidate.state = 'pending';
      path.inFlight++;
      queried++;
      const controller = new AbortController();
      controllers.add(controller);
      let timedOut = false;
      const timer = clock.setTimeout(() => {
        timedOut = true;
        controller.abort(new DhtError('closed', 'request timed out'));
      }, timeoutMs);
      const aborted = new Promise<never>((_, fail) =>
        controller.signal.addEventListener('abort', () => fail(controller.signal.reason), {
          once: true,
        }),
      );
      let request: Promise<readonly Contact[]>;
      try {
        request = rpc.findNode(candidate.contact, target, { signal: controller.signal });
      } catch (error) {
        request = Promise.reject(error);
      }
      Promise.race([request, aborted]).then(
        (contacts) => settle(() => answer(path, candidate, contacts)),
        (error: unknown) =>
          settle(() => {
            if (error instanceof DhtError && error.code === 'malformed')
              return penalty(candidate, 'malformed');
            candidate.state = 'failed';
            failed++;
            const busy = error instanceof DhtError && error.code === 'quota';
            options.onFailure?.(candidate.contact, timedOut ? 'timeout' : busy ? 'busy' : 'error');
          }),
      );
      function settle(then: () => void): void {
        clock.clearTimeout(timer);
        controllers.delete(controller);
        if (finished) return;
        path.inFlight--;
        then();
        advance(path);
        if (paths.every((p) => p.done)) finish();
      }
    };

    const advance = (path: Path): void => {
      if (path.done) return;
      // The path's k closest live candidates.
      let live = 0;
      let waiting = false;
      for (const candidate of path.candidates) {
        if (candidate.state === 'failed' || candidate.state === 'penalised') continue;
        if (live++ === k) break;
        if (candidate.state === 'new') {
          if (path.inFlight >= (path.converged ? k : alpha) || queried >= maxQueries) {
            waiting = true;
            continue;
          }
          query(path, candidate);
        }
        if (candidate.state === 'pending') waiting = true;
      }
      if (!waiting && path.inFlight === 0) path.done = true;
      else if (path.inFlight === 0 && queried >= maxQueries) path.done = true;
    };

    for (const path of paths) advance(path);
    if (paths.every((p) => p.done)) finish();
  });
}

function insertSorted<T>(list: T[], item: T, compare: (a: T, b: T) => number): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compare(list[mid]!, item) <= 0) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, item);
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name}: a positive integer`);
  return value;
}
