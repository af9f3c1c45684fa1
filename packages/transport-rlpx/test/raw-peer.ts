/**
 * A raw RLPx peer for tests: it does the handshake by the package's primitives over a bare
 * socket, then writes whatever frames (or bytes) a test gives, so that hostile input can be
 * sent to a transport under test.
 */
import { connect, type Socket } from 'node:net';
import { defaultBackend } from '@hush/crypto';
import { encodeBytes, encodeList, encodeUint } from '@hush/rlp';
import {
  answerAuth,
  BaseCode,
  type Capability,
  decodeDisconnect,
  decodeHello,
  encodeHello,
  FrameCodec,
  frameBodyBytes,
  type Hello,
  InitiatorHandshake,
  snappyCompress,
  snappyUncompress,
} from '../src/index.js';

export class RawPeer {
  readonly socket: Socket;
  private buffer = new Uint8Array(0);
  private waiters: (() => void)[] = [];
  closed = false;
  frames: FrameCodec | undefined;
  snappy = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      const next = new Uint8Array(this.buffer.length + chunk.length);
      next.set(this.buffer);
      next.set(chunk, this.buffer.length);
      this.buffer = next;
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('error', () => {});
  }

  static async connect(port: number): Promise<RawPeer> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawPeer(socket);
  }

  /** A raw peer on a socket accepted by a test's own TCP server. */
  static wrap(socket: Socket): RawPeer {
    return new RawPeer(socket);
  }

  /** The encryption handshake as recipient: reads an EIP-8 auth, answers it, sets `frames`. */
  async answerHandshake(staticKey: Uint8Array): Promise<void> {
    const head = await this.read(2);
    if (!head) throw new Error('closed before the auth');
    const rest = await this.read((head[0]! << 8) | head[1]!);
    if (!rest) throw new Error('closed inside the auth');
    const auth = new Uint8Array(head.length + rest.length);
    auth.set(head);
    auth.set(rest, 2);
    const answer = answerAuth(auth, { staticKey });
    this.socket.write(answer.ack);
    this.frames = new FrameCodec(answer.secrets);
  }

  /** The next `n` bytes, or undefined if the socket closes first. */
  async read(n: number): Promise<Uint8Array | undefined> {
    while (this.buffer.length < n) {
      if (this.closed) return undefined;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    const out = this.buffer.slice(0, n);
    this.buffer = this.buffer.slice(n);
    return out;
  }

  /** Resolves once the other side has closed the socket. */
  async closedByPeer(): Promise<void> {
    while (!this.closed) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** The encryption handshake as initiator; returns the ack's secrets into `frames`. */
  async handshake(staticKey: Uint8Array, remotePublicKey: Uint8Array): Promise<void> {
    const initiator = new InitiatorHandshake({ staticKey, remotePublicKey });
    this.socket.write(initiator.auth);
    const head = await this.read(2);
    if (!head) throw new Error('closed before the ack');
    const size = ((head[0]! << 8) | head[1]!) + 2;
    const rest = await this.read(size - 2);
    if (!rest) throw new Error('closed inside the ack');
    const ack = new Uint8Array(size);
    ack.set(head);
    ack.set(rest, 2);
    this.frames = new FrameCodec(initiator.finish(ack));
  }

  /** Writes one message (compressed once snappy is on). */
  send(code: number, payload: Uint8Array): void {
    const body = this.snappy ? snappyCompress(payload) : payload;
    this.socket.write(this.frames!.seal(code, body));
  }

  sendHello(staticKey: Uint8Array, capabilities: Capability[], version = 5): void {
    const hello: Hello = {
      version,
      name: 'raw-peer',
      capabilities,
      listenPort: 0,
      id: defaultBackend.publicKeyCreate(staticKey).subarray(1),
    };
    this.send(BaseCode.hello, encodeHello(hello));
  }

  /** The next message, or undefined when the socket closes first. */
  async receive(): Promise<{ code: number; payload: Uint8Array } | undefined> {
    const header = await this.read(32);
    if (!header) return undefined;
    const size = this.frames!.openHeader(header);
    const body = await this.read(frameBodyBytes(size));
    if (!body) return undefined;
    const message = this.frames!.openBody(body, size);
    const payload =
      this.snappy && message.code !== BaseCode.hello
        ? snappyUncompress(message.payload, 1 << 24)
        : message.payload;
    return { code: message.code, payload };
  }

  /** Reads the hello the other side sends and turns snappy on as it says. */
  async receiveHello(): Promise<Hello> {
    const message = await this.receive();
    if (!message || message.code !== BaseCode.hello) throw new Error(`no hello: ${message?.code}`);
    const hello = decodeHello(message.payload);
    this.snappy = hello.version >= 5;
    return hello;
  }

  /** Reads until a disconnect (its reason) or the socket's end (undefined). */
  async disconnectReason(): Promise<number | undefined> {
    for (;;) {
      let message: { code: number; payload: Uint8Array } | undefined;
      try {
        message = await this.receive();
      } catch {
        return undefined;
      }
      if (!message) return undefined;
      if (message.code === BaseCode.disconnect) return decodeDisconnect(message.payload);
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** An RLP [code, payload] frame, as a Connection carries one. */
export function capabilityFrame(code: number, payload: Uint8Array): Uint8Array {
  return encodeList([encodeUint(code), encodeBytes(payload)]);
}
