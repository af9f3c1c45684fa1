/**
 * `hush-conformance inprocess [SPECS_DIR]`: the in-process suite (adapter `in-process`), every
 * spec of specs/ checked against the Hush packages in this process: the vector files of
 * whisper-v6, noise and mixnet-sphinx (one case per vector), the API cases of noise §1–§4, and
 * the cases of inbox-dht and transport-direct, which have no vector files. Each case names its
 * spec and section (sections.ts); the reports are the other suites'.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type CryptoBackend, defaultBackend } from '@hush/crypto';
import { type CaseResult, type ConformanceCase, runCases } from '../suite/model.js';
import { inboxDhtCases } from './inbox-dht-suite.js';
import { noiseCases } from './noise-suite.js';
import { transportDirectCases } from './transport-direct-suite.js';
import { type InProcessContext, VECTOR_SPECS, vectorCases } from './vector-suite.js';

/** How to run the in-process suite. */
export interface InProcessSuiteOptions {
  /** The crypto backend messages are opened and sealed with (default: the platform's). */
  readonly backend?: CryptoBackend;
  /** Each result as it is decided. */
  readonly onResult?: (result: CaseResult) => void;
  /** Only cases whose id contains one of these strings. */
  readonly only?: readonly string[];
}

/**
 * The specs of VECTOR_SPECS whose vectors folder `specsDir` holds.
 *
 * @throws nothing
 */
export function vectorFoldersIn(specsDir: string): string[] {
  return VECTOR_SPECS.filter((spec) => existsSync(join(specsDir, spec, 'vectors')));
}

/**
 * Every case of the in-process suite, in the order they run: the vector cases of `specsDir`
 * (whisper-v6, noise, mixnet-sphinx), then noise's API cases, inbox-dht's and
 * transport-direct's.
 *
 * @param specsDir - a folder like the repo's specs/ (`<spec>/vectors` under it)
 * @param backend - the crypto backend the Whisper vector handlers open and seal with
 * @throws if a vectors folder exists but cannot be read
 */
export async function inProcessCases(
  specsDir: string,
  backend: CryptoBackend = defaultBackend,
): Promise<ConformanceCase<InProcessContext>[]> {
  const { cases } = await vectorCases(specsDir, backend);
  return [...cases, ...noiseCases(), ...inboxDhtCases(), ...transportDirectCases()];
}

/**
 * Runs the in-process suite: the vectors of `specsDir` and the API cases, through the Hush
 * packages. A spec whose vectors folder is missing is one skipped case saying so.
 *
 * @param specsDir - a folder like the repo's specs/
 * @throws if a vectors folder exists but cannot be read
 */
export async function runInProcessSuite(
  specsDir: string,
  options: InProcessSuiteOptions = {},
): Promise<CaseResult[]> {
  const backend = options.backend ?? defaultBackend;
  const context: InProcessContext = { backend };
  return runCases(await inProcessCases(specsDir, backend), context, {
    // Nothing to lose touch with: the implementation is this process.
    alive: async () => {},
    ...(options.onResult ? { onResult: options.onResult } : {}),
    ...(options.only ? { only: options.only } : {}),
  });
}
