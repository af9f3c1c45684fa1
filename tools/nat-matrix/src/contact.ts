/**
 * One contact of the NAT matrix, a real process in its namespace behind its NAT: it joins the
 * gossip node, introduces itself to the other contact over Whisper envelopes (signed,
 * asymmetric), sends or answers a WebRTC offer inside its introduction's `signal`, connects
 * (WebRTC when ICE succeeds, else the relay), runs the direct Noise link and exchanges a
 * message both ways. Prints one JSON line: its result.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { randomBytes, secp256k1Identity, secp256k1Verifier } from '@hush/crypto';
import type { Logger } from '@hush/interface';
import {
  type Connected,
  DirectConnector,
  directLinkEncrypter,
  type Introduction,
  openIntroduction,
  type Signalling,
  wrapIntroduction,
} from '@hush/transport-direct';
import { createGossipNode, webSocketTransport } from '@hush/transport-gossip';

interface Config {
  readonly role: 'offer' | 'answer';
  readonly key: string;
  readonly peer: string;
  readonly gossip: string;
  readonly relay: string;
  readonly stun: string;
  readonly connectTimeoutMs: number;
  readonly webrtcAttempts: number;
}

const config = JSON.parse(process.env.HUSH_CONTACT ?? '{}') as Config;
const started = Date.now();
/** HUSH_NAT_LOG (set by the matrix to a folder): this contact's log lines, on stderr. */
const logging = Boolean(process.env.HUSH_NAT_LOG);
const log = (line: string) => {
  if (logging) process.stderr.write(`${new Date().toISOString()} ${line}\n`);
};
if (logging) {
  // libdatachannel's own log (level HUSH_NAT_LOG_LEVEL, default Info: Verbose slows its
  // threads down enough to change what happens), through the copy transport-direct loads.
  const require = createRequire(fileURLToPath(import.meta.resolve('@hush/transport-direct')));
  const ndc = require('node-datachannel') as {
    initLogger(level: string, sink: (level: string, message: string) => void): void;
  };
  ndc.initLogger(process.env.HUSH_NAT_LOG_LEVEL ?? 'Info', (level, message) =>
    log(`libdatachannel ${level} ${message}`),
  );
}
const fields = (f: Record<string, unknown>) => JSON.stringify(f);
const logger: Logger = {
  debug: (f, m) => log(`connector ${m} ${fields(f)}`),
  info: (f, m) => log(`connector ${m} ${fields(f)}`),
  warn: (f, m) => log(`connector ${m} ${fields(f)}`),
  error: (f, m) => log(`connector ${m} ${fields(f)}`),
};
const fromHex = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));
const key = fromHex(config.key);
const peerKey = fromHex(config.peer);
const identity = secp256k1Identity(key);
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
const isContact = (k: Uint8Array) => same(k, peerKey);
const now = () => Math.floor(Date.now() / 1000);
/** Prints the result line and ends the process (a little later when logging, to flush). */
function finish(result: Record<string, unknown>, code = 0): Promise<never> {
  log(`finish ${fields(result)}`);
  process.stdout.write(
    `${JSON.stringify({ role: config.role, ms: Date.now() - started, ...result })}\n`,
  );
  setTimeout(() => process.exit(code), logging ? 500 : 0);
  return new Promise<never>(() => {});
}
setTimeout(() => finish({ ok: false, error: 'contact timed out' }, 1), 100_000).unref();

const staticKey = randomBytes(32);
const encrypter = directLinkEncrypter({
  identity,
  verifier: secp256k1Verifier(),
  staticKey,
  isContact,
});
const node = createGossipNode({
  key: key,
  transport: webSocketTransport({ privateKey: key, port: 0 }),
  minPow: 0,
  bootstrap: [config.gossip],
  reconnect: { minMs: 200, maxMs: 1000 },
});
await node.start();
while (!node.stats().peers.some((p) => p.ready)) await new Promise((r) => setTimeout(r, 50));

let introductionOf: ((intro: Introduction) => void) | undefined;
const introduced = new Promise<Introduction>((resolve) => {
  introductionOf = resolve;
});
let signalHandler: ((from: Uint8Array, signal: Uint8Array) => void) | undefined;
node.onEnvelope(({ envelope }) => {
  const verdict = openIntroduction(envelope, { privateKey: key, isContact, now: now() });
  if (!verdict.accepted) return;
  if (verdict.introduction.signal.length === 0) introductionOf?.(verdict.introduction);
  else signalHandler?.(verdict.from, verdict.introduction.signal);
});
async function introduce(signal: Uint8Array): Promise<void> {
  const envelope = await wrapIntroduction(
    { sent: now(), staticKey: encrypter.staticKey, endpoints: [], signal },
    { from: key, to: peerKey, pow: 0.001, workTime: 1 },
  );
  node.post(envelope);
}
const signalling: Signalling = {
  send: (_to, signal) => introduce(signal),
  onSignal: (handler) => {
    signalHandler = handler;
  },
};
const connector = new DirectConnector(signalling, {
  webSocket: false,
  webrtc: {
    iceServers: [config.stun],
    connectTimeoutMs: config.connectTimeoutMs,
    gatherTimeoutMs: 3000,
  },
  relay: config.relay,
  answerTimeoutMs: 20_000,
  webrtcAttempts: config.webrtcAttempts,
  ...(logging ? { logger } : {}),
});

const hello = new TextEncoder();
async function talk(connected: Connected, outbound: boolean, connectMs: number): Promise<never> {
  const connection = outbound
    ? await encrypter.secureOutbound(connected.channel, {
        remoteStaticKey: (await introduced).staticKey,
      })
    : await encrypter.secureInbound(connected.channel);
  const got = new Promise<string>((resolve) =>
    connection.onFrame((f) => resolve(new TextDecoder().decode(f))),
  );
  connection.send(hello.encode(`hello from ${config.role}`));
  const message = await got;
  // Let the last frame leave before the process ends.
  await new Promise((r) => setTimeout(r, 300));
  return finish({
    ok: message === `hello from ${config.role === 'offer' ? 'answer' : 'offer'}`,
    path: connected.path,
    webrtcAttempts: connected.webrtcAttempts,
    connectMs,
    message,
  });
}

if (config.role === 'answer') {
  connector.onChannel((_from, connected) => {
    talk(connected, false, 0).catch((error: unknown) =>
      finish({ ok: false, error: String(error) }, 1),
    );
  });
  // Keep introducing until the offerer's signal arrives (an envelope posted before the other
  // side joined gossip would be missed).
  for (;;) {
    await introduce(new Uint8Array(0));
    await new Promise((r) => setTimeout(r, 2000));
  }
} else {
  const peerIntroduction = await introduced;
  const dialed = Date.now();
  let connected: Connected;
  try {
    connected = await connector.connect(peerKey, peerIntroduction);
  } catch (error) {
    const causes = (error as { cause?: unknown }).cause;
    await finish(
      { ok: false, error: `${String(error)} ${Array.isArray(causes) ? causes.join('; ') : ''}` },
      1,
    );
    throw error;
  }
  await talk(connected, true, Date.now() - dialed);
}
