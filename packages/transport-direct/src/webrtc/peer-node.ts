/**
 * The WebRTC platform in Node (specs/transport-direct/SPEC.md §5.2): node-datachannel
 * (libdatachannel). Node path of `#webrtc`.
 */
import nodeDataChannel from 'node-datachannel';
import {
  type CreatePeer,
  DATA_CHANNEL_LABEL,
  type PeerConfig,
  type PlatformChannel,
  type PlatformPeer,
} from './platform.js';

type NdcChannel = nodeDataChannel.DataChannel;

function gathered(pc: nodeDataChannel.PeerConnection, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const description = pc.localDescription();
      if (description) resolve(description.sdp);
      else reject(new Error('no local description'));
    };
    // Past the gathering timeout, the candidates found so far (host ones at least) are used.
    const timer = setTimeout(finish, timeoutMs);
    timer.unref();
    pc.onGatheringStateChange((state) => {
      if (state === 'complete') finish();
    });
    if (pc.gatheringState() === 'complete') finish();
  });
}

function wrap(
  dc: NdcChannel,
  pc: nodeDataChannel.PeerConnection,
  onState: (listener: (state: string) => void) => void,
): PlatformChannel {
  let deliver: ((message: Uint8Array) => void) | undefined;
  const closeHandlers: ((detail: string) => void)[] = [];
  let closedDetail: string | undefined;
  const ended = (detail: string) => {
    if (closedDetail !== undefined) return;
    closedDetail = detail;
    for (const handler of closeHandlers) handler(detail);
    // The channel is all a direct peer connection carries: it ends with it.
    setImmediate(() => pc.close());
  };
  dc.onMessage((message) => {
    if (typeof message === 'string') {
      dc.close();
      ended('text message');
      return;
    }
    const bytes =
      message instanceof ArrayBuffer
        ? new Uint8Array(message)
        : new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
    deliver?.(bytes);
  });
  dc.onClosed(() => ended('closed'));
  dc.onError((error) => ended(`error: ${error}`));
  onState((state) => {
    if (state === 'failed' || state === 'closed' || state === 'disconnected') ended(state);
  });
  let remoteAddress = 'webrtc';
  try {
    const pair = pc.getSelectedCandidatePair();
    if (pair) remoteAddress = `webrtc:${pair.remote.address}:${pair.remote.port}`;
  } catch {
    // Only for logs.
  }
  return {
    remoteAddress,
    maxMessageSize: dc.maxMessageSize(),
    send(message) {
      if (closedDetail === undefined && dc.isOpen()) dc.sendMessageBinary(message);
    },
    bufferedAmount: () => (closedDetail === undefined ? dc.bufferedAmount() : 0),
    onMessage(handler) {
      deliver = handler;
    },
    onClose(handler) {
      if (closedDetail !== undefined) handler(closedDetail);
      else closeHandlers.push(handler);
    },
    close() {
      if (closedDetail !== undefined) return;
      try {
        dc.close();
      } catch {
        // Already closing.
      }
      ended('local');
    },
  };
}

/** A peer connection on node-datachannel. */
export const createPeer: CreatePeer = (config: PeerConfig): PlatformPeer => {
  const pc = new nodeDataChannel.PeerConnection(DATA_CHANNEL_LABEL, {
    iceServers: [...config.iceServers],
    maxMessageSize: config.maxMessageSize,
  });
  let closed = false;
  let resolveOpened!: (channel: PlatformChannel) => void;
  let rejectOpened!: (error: Error) => void;
  const opened = new Promise<PlatformChannel>((resolve, reject) => {
    resolveOpened = resolve;
    rejectOpened = reject;
  });
  opened.catch(() => {});
  // node-datachannel keeps one callback per event: this one fans out.
  const stateListeners: ((state: string) => void)[] = [
    (state) => {
      if (state === 'failed' || state === 'closed')
        rejectOpened(new Error(`peer connection ${state}`));
    },
  ];
  pc.onStateChange((state) => {
    for (const listener of stateListeners) listener(state);
  });
  const onState = (listener: (state: string) => void) => stateListeners.push(listener);
  const take = (dc: NdcChannel) => {
    if (dc.getLabel() !== DATA_CHANNEL_LABEL) {
      dc.close();
      return;
    }
    resolveOpened(wrap(dc, pc, onState));
  };
  return {
    opened,
    async createOffer() {
      const dc = pc.createDataChannel(DATA_CHANNEL_LABEL, {});
      dc.onOpen(() => take(dc));
      return gathered(pc, config.gatherTimeoutMs);
    },
    async createAnswer(offerSdp) {
      pc.onDataChannel((dc) => {
        if (dc.isOpen()) take(dc);
        else dc.onOpen(() => take(dc));
      });
      pc.setRemoteDescription(offerSdp, 'offer');
      return gathered(pc, config.gatherTimeoutMs);
    },
    acceptAnswer(answerSdp) {
      pc.setRemoteDescription(answerSdp, 'answer');
    },
    addRemoteCandidate(candidate, mid) {
      if (!closed) pc.addRemoteCandidate(candidate, mid);
    },
    close() {
      if (closed) return;
      closed = true;
      rejectOpened(new Error('closed'));
      pc.close();
    },
  };
};
