/**
 * @hush/interface-compliance: the suites every implementation of `@hush/interface` runs in
 * its own tests (in the manner of libp2p's `interface-compliance-tests`). Each function
 * registers a Vitest `describe` block; call it at the top level of a test file.
 *
 * @example
 * ```ts
 * import { storeCompliance } from '@hush/interface-compliance';
 * storeCompliance('LevelStore', async () => LevelStore.open(tmpDir()));
 * ```
 *
 * @packageDocumentation
 */

export { type CarrierSetup, carrierCompliance } from './carrier.js';
export { type EncrypterParty, type EncrypterSetup, encrypterCompliance } from './encrypter.js';
export { type EnvelopeExchange, envelopeExchangeCompliance } from './envelopes.js';
export { type InboxSetup, inboxCompliance } from './inbox.js';
export { type PipeMessage, type PipeTap, rawChannelPair } from './pipe.js';
export { storeCompliance } from './store.js';
export { waitFor } from './wait.js';
