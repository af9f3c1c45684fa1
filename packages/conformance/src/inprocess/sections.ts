/**
 * The specs the in-process suite covers and their numbered headings, for the reports: a
 * case's section is one of these (a test checks each list against its SPEC.md). The headings
 * of specs/mixnet-sphinx/SPEC.md are numbered without `§` (`## 3. Routing commands`); they
 * are written `§3` here like the other specs', and link to the same GitHub anchor.
 */
import { WHISPER_V6_SECTIONS, WHISPER_V6_SPEC } from '../peer/peer-suite.js';

/** A numbered heading of a spec. */
export interface SpecSection {
  /** `§3.2`. */
  readonly section: string;
  /** The heading's text after its number. */
  readonly title: string;
}

/** specs/noise/SPEC.md's headings. */
export const NOISE_SECTIONS: readonly SpecSection[] = [
  { section: '§1', title: 'Protocol names' },
  { section: '§2', title: 'Patterns' },
  { section: '§3', title: 'States' },
  { section: '§4', title: 'Safety of the API' },
  { section: '§5', title: 'Vectors' },
];

/** specs/mixnet-sphinx/SPEC.md's headings, with `§`. */
export const MIXNET_SPHINX_SECTIONS: readonly SpecSection[] = [
  { section: '§1', title: 'What a packet does' },
  { section: '§2', title: 'Geometry' },
  { section: '§3', title: 'Routing commands' },
  { section: '§4', title: 'Per-hop cryptography' },
  { section: '§5', title: "A mix's step" },
  { section: '§6', title: 'Packet creation' },
  { section: '§7', title: 'SURBs' },
  { section: '§7.1', title: "The creator's store and retries" },
  { section: '§8', title: 'Replay protection' },
  { section: '§9', title: 'A mix' },
  { section: '§9.1', title: 'Epochs and keys' },
  { section: '§10', title: 'The directory' },
  { section: '§10.1', title: 'Descriptors' },
  { section: '§10.2', title: 'The network configuration' },
  { section: '§10.3', title: 'Fetching' },
  { section: '§10.4', title: 'Authorities' },
  { section: '§11', title: 'Links' },
  { section: '§11.1', title: 'Gateways' },
  { section: '§11.2', title: 'Fetching a queue through SURBs' },
  { section: '§12', title: 'Routes' },
  { section: '§13', title: 'Loopix clients' },
  { section: '§13.1', title: 'What a client puts in a user payload' },
  { section: '§13.2', title: 'What a global observer sees: the trace format' },
  { section: '§13.3', title: 'The traffic-analysis attack' },
  { section: '§13.4', title: 'Mix loops' },
  { section: '§13.5', title: 'Whisper over the mixnet' },
];

/** specs/inbox-dht/SPEC.md's headings. */
export const INBOX_DHT_SECTIONS: readonly SpecSection[] = [
  { section: '§1', title: 'Model' },
  { section: '§2', title: 'Node ids and routing' },
  { section: '§2.1', title: 'Ids, distance, contacts' },
  { section: '§2.2', title: 'The routing table' },
  { section: '§2.3', title: 'Lookups' },
  { section: '§2.4', title: 'Joining and refresh' },
  { section: '§2.5', title: 'Serving requests' },
  { section: '§2.6', title: 'Metrics' },
  { section: '§3', title: 'Messages' },
  { section: '§3.1', title: 'Framing' },
  { section: '§3.2', title: 'Types' },
  { section: '§3.3', title: 'Strict decoding' },
  { section: '§3.4', title: 'Inbox messages' },
  { section: '§4', title: 'Inbox location and descriptor' },
  { section: '§4.1', title: 'Inbox key and epoch' },
  { section: '§4.2', title: 'Location' },
  { section: '§4.3', title: 'Descriptor encoding' },
  { section: '§4.4', title: 'Signature' },
  { section: '§4.5', title: 'Where a descriptor is stored' },
  { section: '§5', title: 'Deposit' },
  { section: '§5.1', title: 'Admission' },
  { section: '§5.2', title: 'On the network' },
  { section: '§6', title: 'Fetch and delete' },
  { section: '§6.1', title: 'Request encoding' },
  { section: '§6.2', title: 'Acceptance' },
  { section: '§6.3', title: 'Fetch' },
  { section: '§6.4', title: 'Delete' },
  { section: '§6.5', title: 'Restore' },
  { section: '§6.6', title: "The owner's Inbox" },
  { section: '§6.7', title: 'On the network' },
  { section: '§6.8', title: 'The network Inbox' },
  { section: '§7', title: 'What a holder keeps' },
  { section: '§7.1', title: 'Descriptors' },
  { section: '§7.2', title: 'Tombstones' },
  { section: '§7.3', title: 'Limits' },
  { section: '§7.4', title: 'Expiry' },
  { section: '§7.5', title: 'Store layout' },
  { section: '§7.6', title: 'Metrics' },
  { section: '§8', title: 'Repair under churn' },
  { section: '§8.1', title: 'When' },
  { section: '§8.2', title: 'A pass' },
  { section: '§8.3', title: 'Giving up copies' },
  { section: '§8.4', title: 'A closer node joins' },
  { section: '§8.5', title: 'Metrics' },
  { section: '§9', title: 'Measurement' },
];

/** specs/transport-direct/SPEC.md's headings. */
export const TRANSPORT_DIRECT_SECTIONS: readonly SpecSection[] = [
  { section: '§1', title: 'Model' },
  { section: '§2', title: 'Introductions' },
  { section: '§2.1', title: 'Payload' },
  { section: '§2.2', title: 'Envelope' },
  { section: '§2.3', title: 'Acting on an introduction' },
  { section: '§3', title: "The channel's link" },
  { section: '§4', title: 'The channel' },
  { section: '§4.1', title: 'One channel per contact' },
  { section: '§4.2', title: 'Frames' },
  { section: '§4.3', title: 'Envelopes on a channel' },
  { section: '§5', title: 'Signals and WebRTC' },
  { section: '§5.1', title: 'Signal payload' },
  { section: '§5.2', title: 'Offer and answer' },
  { section: '§5.3', title: 'Messages on the data channel' },
  { section: '§5.4', title: 'Choosing a path' },
  { section: '§6', title: 'The relay (`hush-relay/1`)' },
  { section: '§6.1', title: 'Transport' },
  { section: '§6.2', title: 'Join and pairing' },
  { section: '§6.3', title: 'Refusals and limits' },
  { section: '§7', title: 'Store-and-forward' },
  { section: '§7.1', title: 'The outbox' },
  { section: '§7.2', title: 'Transmission' },
  { section: '§7.3', title: 'The inbox' },
  { section: '§7.4', title: 'Metrics' },
  { section: '§7.5', title: 'Causal order' },
];

/** A spec of the in-process suite: its folder under specs/ and its numbered headings. */
export interface InProcessSpec {
  readonly spec: string;
  readonly sections: readonly SpecSection[];
}

/**
 * The specs of the in-process suite, in report order: the three with vector files, then the
 * two whose cases are written against their packages' public APIs.
 */
export const IN_PROCESS_SPECS: readonly InProcessSpec[] = [
  { spec: WHISPER_V6_SPEC, sections: WHISPER_V6_SECTIONS },
  { spec: 'noise', sections: NOISE_SECTIONS },
  { spec: 'mixnet-sphinx', sections: MIXNET_SPHINX_SECTIONS },
  { spec: 'inbox-dht', sections: INBOX_DHT_SECTIONS },
  { spec: 'transport-direct', sections: TRANSPORT_DIRECT_SECTIONS },
];
