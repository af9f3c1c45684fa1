/**
 * A deliberately broken node for the negative tests of the peer and mailserver suites
 * (specs/whisper-v6/SPEC.md §7, specs/mailserver/SPEC.md): a relay that listens as a node of
 * its own (its own Noise key and `ws://…#key` address, §7.6) and carries each session the
 * suite opens to a real node over a fresh link of its own (a fresh key each, so the real
 * node's one-connection-per-key and bans, §7.7, see separate peers), with faults applied to
 * the messages on their way. To the suite it is one node that breaks exactly the rules the
 * faults break; everything else is the real node's behaviour.
 */
import { randomBytes } from '@hush/crypto';
import type { Connection } from '@hush/interface';
import {
  decodeFrame,
  encodeFrame,
  type ProtocolMessage,
  webSocketTransport,
} from '@hush/transport-gossip';

/** One session through the relay: the suite's peer on one side, the real node on the other. */
export interface RelayedSession {
  /** Sends a message (or raw frame bytes) to the suite's peer. */
  toPeer(message: ProtocolMessage | Uint8Array): void;
  /** Sends a message to the real node. */
  toNode(message: ProtocolMessage): void;
  /** How many messages the peer has sent so far (0 while the first is being handled). */
  readonly fromPeerCount: number;
  /** How many messages the node has sent so far (0 while the first is being handled). */
  readonly fromNodeCount: number;
}

/** What the relay changes. Each returns what to pass on instead (nothing: dropped). */
export interface Faults {
  /** A message from the suite's peer on its way to the node (frames that do not decode pass as they are). */
  fromPeer?(
    message: ProtocolMessage,
    session: RelayedSession,
    all: readonly RelayedSession[],
  ): (ProtocolMessage | Uint8Array)[];
  /** A message from the node on its way to the suite's peer. */
  fromNode?(
    message: ProtocolMessage,
    session: RelayedSession,
    all: readonly RelayedSession[],
  ): (ProtocolMessage | Uint8Array)[];
}

export interface FaultyRelay {
  /** The relay's own address, `ws://127.0.0.1:port#<its static key>`: the broken node's. */
  readonly address: string;
  close(): Promise<void>;
}

const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function decode(frame: Uint8Array): ProtocolMessage | undefined {
  try {
    return decodeFrame(frame);
  } catch {
    return undefined;
  }
}

/**
 * Starts a relay in front of the node at `target` (`ws://host:port#key`) on a loopback port.
 *
 * @throws TransportError 'listen-failed' when it cannot listen
 */
export async function faultyRelay(target: string, faults: Faults): Promise<FaultyRelay> {
  const key = randomBytes(32);
  const listener = webSocketTransport({ privateKey: key, host: '127.0.0.1', port: 0 });
  const sessions = new Set<RelayedSession>();
  const upstreams = new Set<{ close(): Promise<void> }>();

  const accept = (peer: Connection) => {
    const up = webSocketTransport({ privateKey: randomBytes(32) });
    upstreams.add(up);
    let node: Connection | undefined;
    // What the peer sent before the link to the node was up, in order.
    const early: Uint8Array[] = [];
    let peerCount = 0;
    let nodeCount = 0;
    const sendToNode = (frame: Uint8Array) => {
      if (node) node.send(frame);
      else early.push(frame);
    };
    const session: RelayedSession = {
      toPeer: (m) => peer.send(m instanceof Uint8Array ? m : encodeFrame(m)),
      toNode: (m) => sendToNode(encodeFrame(m)),
      get fromPeerCount() {
        return peerCount;
      },
      get fromNodeCount() {
        return nodeCount;
      },
    };
    sessions.add(session);
    const pass = (out: (ProtocolMessage | Uint8Array)[], to: (frame: Uint8Array) => void) => {
      for (const m of out) to(m instanceof Uint8Array ? m : encodeFrame(m));
    };
    peer.onFrame((frame) => {
      const message = decode(frame);
      if (message && faults.fromPeer)
        pass(faults.fromPeer(message, session, [...sessions]), sendToNode);
      else sendToNode(frame);
      peerCount++;
    });
    const end = () => {
      sessions.delete(session);
      node?.close('local');
      peer.close('local');
      void up.close().finally(() => upstreams.delete(up));
    };
    peer.onClose(end);
    up.dial(target, { signal: AbortSignal.timeout(10_000) }).then((connection) => {
      node = connection;
      connection.onFrame((frame) => {
        const message = decode(frame);
        if (message && faults.fromNode)
          pass(faults.fromNode(message, session, [...sessions]), (f) => peer.send(f));
        else peer.send(frame);
        nodeCount++;
      });
      connection.onClose(end);
      for (const frame of early.splice(0)) connection.send(frame);
    }, end);
  };

  await listener.listen(accept);
  const address = `${listener.addresses[0]}#${toHex((listener as { staticKey?: Uint8Array }).staticKey!)}`;
  return {
    address,
    close: async () => {
      await listener.close();
      for (const up of [...upstreams]) await up.close();
    },
  };
}
