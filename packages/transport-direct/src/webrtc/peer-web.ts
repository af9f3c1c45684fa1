/**
 * The WebRTC platform in browsers (specs/transport-direct/SPEC.md §5.2): the native
 * `RTCPeerConnection`, no Node built-ins. Default path of `#webrtc`.
 */
import {
  type CreatePeer,
  DATA_CHANNEL_LABEL,
  type PeerConfig,
  type PlatformChannel,
  type PlatformPeer,
} from './platform.js';

function gathered(pc: RTCPeerConnection, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', onChange);
      const description = pc.localDescription;
      if (description) resolve(description.sdp);
      else reject(new Error('no local description'));
    };
    const onChange = () => {
      if (pc.iceGatheringState === 'complete') finish();
    };
    const timer = setTimeout(finish, timeoutMs);
    pc.addEventListener('icegatheringstatechange', onChange);
    onChange();
  });
}

function wrap(dc: RTCDataChannel, pc: RTCPeerConnection): PlatformChannel {
  dc.binaryType = 'arraybuffer';
  let deliver: ((message: Uint8Array) => void) | undefined;
  const closeHandlers: ((detail: string) => void)[] = [];
  let closedDetail: string | undefined;
  const ended = (detail: string) => {
    if (closedDetail !== undefined) return;
    closedDetail = detail;
    for (const handler of closeHandlers) handler(detail);
    pc.close();
  };
  dc.addEventListener('message', (event: MessageEvent) => {
    if (!(event.data instanceof ArrayBuffer)) {
      dc.close();
      ended('text message');
      return;
    }
    deliver?.(new Uint8Array(event.data));
  });
  dc.addEventListener('close', () => ended('closed'));
  dc.addEventListener('error', () => ended('error'));
  pc.addEventListener('connectionstatechange', () => {
    const state = pc.connectionState;
    if (state === 'failed' || state === 'closed' || state === 'disconnected') ended(state);
  });
  return {
    remoteAddress: 'webrtc',
    maxMessageSize: pc.sctp?.maxMessageSize ?? 65_536,
    send(message) {
      if (closedDetail !== undefined || dc.readyState !== 'open') return;
      try {
        dc.send(message as Uint8Array<ArrayBuffer>);
      } catch {
        // The browser's send queue is full (Chromium: 16 MiB, below the link's backlog limit):
        // the message, perhaps one fragment of a frame, is lost, so the channel cannot go on.
        dc.close();
        ended('send queue full');
      }
    },
    bufferedAmount: () => (closedDetail === undefined ? dc.bufferedAmount : 0),
    onMessage(handler) {
      deliver = handler;
    },
    onClose(handler) {
      if (closedDetail !== undefined) handler(closedDetail);
      else closeHandlers.push(handler);
    },
    close() {
      if (closedDetail !== undefined) return;
      dc.close();
      ended('local');
    },
  };
}

/** A peer connection on the browser's `RTCPeerConnection`. */
export const createPeer: CreatePeer = (config: PeerConfig): PlatformPeer => {
  const pc = new RTCPeerConnection({
    iceServers: config.iceServers.length ? [{ urls: [...config.iceServers] }] : [],
  });
  let closed = false;
  let resolveOpened!: (channel: PlatformChannel) => void;
  let rejectOpened!: (error: Error) => void;
  const opened = new Promise<PlatformChannel>((resolve, reject) => {
    resolveOpened = resolve;
    rejectOpened = reject;
  });
  opened.catch(() => {});
  pc.addEventListener('connectionstatechange', () => {
    if (pc.connectionState === 'failed' || pc.connectionState === 'closed')
      rejectOpened(new Error(`peer connection ${pc.connectionState}`));
  });
  const take = (dc: RTCDataChannel) => {
    if (dc.label !== DATA_CHANNEL_LABEL) {
      dc.close();
      return;
    }
    if (dc.readyState === 'open') resolveOpened(wrap(dc, pc));
    else dc.addEventListener('open', () => resolveOpened(wrap(dc, pc)), { once: true });
  };
  return {
    opened,
    async createOffer() {
      take(pc.createDataChannel(DATA_CHANNEL_LABEL, { ordered: true }));
      await pc.setLocalDescription(await pc.createOffer());
      return gathered(pc, config.gatherTimeoutMs);
    },
    async createAnswer(offerSdp) {
      pc.addEventListener('datachannel', (event: RTCDataChannelEvent) => take(event.channel));
      await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
      await pc.setLocalDescription(await pc.createAnswer());
      return gathered(pc, config.gatherTimeoutMs);
    },
    acceptAnswer(answerSdp) {
      pc.setRemoteDescription({ type: 'answer', sdp: answerSdp }).catch((error: unknown) =>
        rejectOpened(error instanceof Error ? error : new Error(String(error))),
      );
    },
    addRemoteCandidate(candidate, mid) {
      if (closed) return;
      pc.addIceCandidate({ candidate, sdpMid: mid }).catch(() => {
        // A candidate the browser cannot use: the others may do.
      });
    },
    close() {
      if (closed) return;
      closed = true;
      rejectOpened(new Error('closed'));
      pc.close();
    },
  };
};
