/**
 * One attached peer (specs/whisper-v6 SPEC §7.2–§7.4): what the engine knows of it (its PoW
 * requirement, bloom filter, light-node flag), what it has still to be sent, and its counters.
 */
import { bloomFilterMatch } from '@hush/bloom';
import type { ProtocolMessage } from './codec.js';
import type { GossipError } from './errors.js';
import type { PoolEntry } from './pool.js';

/** How the engine talks to one peer, whatever carries the bytes. */
export interface PeerLink {
  /**
   * Sends one protocol message. Returning false says the link is congested: the engine
   * holds further broadcasts to this peer until a later cycle.
   */
  send(message: ProtocolMessage): boolean | undefined;
  /** Closes the link; `error` is the protocol violation that caused it, if any. */
  close(error?: GossipError): void;
  /** The largest payload the link carries in one message (default: no limit of its own). */
  readonly maxPayloadBytes?: number;
}

/** Who a peer is. */
export interface PeerInfo {
  /** A stable identifier (a node key in hex, for authenticated transports). */
  readonly id: string;
  /** Trusted peers may send p2p messages (mailserver history). */
  readonly trusted?: boolean;
}

/** What the engine hands the transport for one attached peer. */
export interface PeerHandle {
  readonly id: string;
  /** Delivers one message the peer sent. */
  receive(message: ProtocolMessage): void;
  /** The link went away (no error of the peer's). */
  disconnected(): void;
}

/** Counters and settings of one peer, for stats and scoring. */
export interface PeerStats {
  readonly id: string;
  readonly ready: boolean;
  readonly trusted: boolean;
  readonly lightNode: boolean;
  readonly powRequirement: number;
  readonly fullNode: boolean;
  readonly envelopesReceived: number;
  /** New envelopes it delivered. */
  readonly envelopesAccepted: number;
  /** Envelopes it delivered that the node already had. */
  readonly envelopesDuplicate: number;
  readonly envelopesSent: number;
  readonly bytesReceived: number;
  readonly bytesSent: number;
}

/** The engine's state of one attached peer. */
export class PeerSession {
  ready = false;
  closed = false;
  trusted: boolean;
  powRequirement = 0;
  bloom: Uint8Array | null = null;
  lightNode = false;
  pending = new Set<PoolEntry>();
  /**
   * The peer changed what it wants (PoW requirement or bloom): the whole pool is reconsidered
   * at the next transmission, once, however often it changes in between.
   */
  resync = false;
  envelopesReceived = 0;
  envelopesAccepted = 0;
  envelopesDuplicate = 0;
  envelopesSent = 0;
  bytesReceived = 0;
  bytesSent = 0;
  /** Its bit in the pool entries' known-by sets. */
  readonly index: number;
  readonly info: PeerInfo;
  readonly link: PeerLink;

  constructor(index: number, info: PeerInfo, link: PeerLink) {
    this.index = index;
    this.info = info;
    this.link = link;
    this.trusted = info.trusted === true;
  }

  /** Whether the peer should be sent `entry`: not known to it, within its PoW and bloom. */
  wants(entry: PoolEntry): boolean {
    return (
      !entry.removed &&
      !entry.knownBy.has(this.index) &&
      entry.pow >= this.powRequirement &&
      (this.bloom === null || this.matches(this.bloom, entry.bloom))
    );
  }

  // The last bloom match, by identity: entries share their topic's bloom (the engine caches
  // one per topic), so a run of envelopes on one topic is matched once, not once each.
  private matchedFilter: Uint8Array | undefined;
  private matchedBloom: Uint8Array | undefined;
  private matched = false;

  private matches(filter: Uint8Array, bloom: Uint8Array): boolean {
    if (filter !== this.matchedFilter || bloom !== this.matchedBloom) {
      this.matchedFilter = filter;
      this.matchedBloom = bloom;
      this.matched = bloomFilterMatch(filter, bloom);
    }
    return this.matched;
  }

  stats(): PeerStats {
    return {
      id: this.info.id,
      ready: this.ready,
      trusted: this.trusted,
      lightNode: this.lightNode,
      powRequirement: this.powRequirement,
      fullNode: this.bloom === null,
      envelopesReceived: this.envelopesReceived,
      envelopesAccepted: this.envelopesAccepted,
      envelopesDuplicate: this.envelopesDuplicate,
      envelopesSent: this.envelopesSent,
      bytesReceived: this.bytesReceived,
      bytesSent: this.bytesSent,
    };
  }
}
