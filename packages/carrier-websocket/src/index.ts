/**
 * @hush/carrier-websocket: the WebSocket carrier that Hush's links run over (the gossip
 * link of specs/whisper-v6 SPEC §7.6 and the direct link of specs/transport-direct §3). A
 * carrier moves raw binary messages; the Noise link above it encrypts and authenticates them.
 * In Node it listens and dials with `ws`; in browsers it dials with the native WebSocket
 * (conditional export `#websocket`, no Node built-ins on that path).
 *
 * @example
 * ```ts
 * import { webSocketCarrier } from '@hush/carrier-websocket';
 * const carrier = webSocketCarrier({ host: '0.0.0.0', port: 30303 });
 * await carrier.listen((channel) => channel.onMessage((bytes) => console.log(bytes.length)));
 * const channel = await webSocketCarrier().dial(carrier.addresses[0]!);
 * ```
 *
 * @packageDocumentation
 */

export { webSocketCarrier } from '#websocket';
export type { WebSocketCarrierOptions } from './options.js';
