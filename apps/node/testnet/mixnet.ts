/**
 * A mixnet on one machine (issue 16, item 5; specs/mixnet-sphinx/SPEC.md §9–§11): directory
 * authorities (3 by default, a threshold of 2), 3 layers of 3 mixes and a gateway (or more), each a
 * real `hush directory` or `hush mix` process from source on loopback, in its own data
 * directory under one temporary directory. The keys are made first (the network file lists
 * them), then the network file is written, then every process starts. `waitForMixnet`
 * resolves once the current epoch's document carries the threshold of signatures and names
 * every mix and gateway, and every mix and gateway holds it. `pnpm testnet mixnet` (cli.ts) and the
 * test use it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type DirectoryDocument,
  encodeNetworkConfig,
  epochAt,
  fetchDirectory,
  type NetworkConfig,
  parseNetworkConfig,
} from '@hush/mixnet-sphinx';
import { ed25519 } from '@noble/curves/ed25519.js';
import { loadAuthorityKey } from '../src/mixnet/authority.js';
import { mixIdentity } from '../src/mixnet/mix-node.js';
import { openStore } from '../src/node.js';
import { freePort, type HushProcess, spawnHush, TestnetError } from './process.js';

/** How a mixnet is made. */
export interface MixnetOptions {
  /** Authorities (default 3) and the signatures a document needs (default a majority). */
  readonly authorities?: number;
  readonly threshold?: number;
  /** Layers (default 3) of `mixesPerLayer` (default 3) mixes. */
  readonly layers?: number;
  readonly mixesPerLayer?: number;
  /** Epoch length (default 10 min). */
  readonly epochMs?: number;
  /** The mean per-hop delay (default 20 ms). */
  readonly meanDelayMs?: number;
  readonly userPayloadLength?: number;
  /** Gateways (default 1). */
  readonly gateways?: number;
  readonly startTimeoutMs?: number;
}

/** One process of the mixnet. */
export interface MixnetMember {
  readonly name: string;
  readonly dataDir: string;
  readonly process: HushProcess;
  /** An authority's URL, or a mix's links and metrics. */
  readonly url?: string;
  readonly links?: readonly string[];
  readonly metricsUrl?: string;
}

/** A running mixnet. */
export interface Mixnet {
  readonly dir: string;
  /** The network file every member was given. */
  readonly networkFile: string;
  readonly network: NetworkConfig;
  readonly authorities: readonly MixnetMember[];
  readonly mixes: readonly MixnetMember[];
  /** The first gateway. */
  readonly gateway: MixnetMember;
  /** Every gateway, the first one first. */
  readonly gateways: readonly MixnetMember[];
  /** Stops every process still running and removes the directory. */
  stop(): Promise<void>;
}

async function keyOf(dataDir: string, kind: 'mix' | 'authority'): Promise<string> {
  const store = await openStore(dataDir);
  try {
    return kind === 'mix'
      ? await mixIdentity(store)
      : Buffer.from(ed25519.getPublicKey(await loadAuthorityKey(store))).toString('hex');
  } finally {
    await store.close();
  }
}

/**
 * Starts the mixnet: the authorities, then the mixes and the gateway, all in parallel.
 *
 * @throws TestnetError naming the process that did not start and its log
 */
export async function startMixnet(options: MixnetOptions = {}): Promise<Mixnet> {
  const authorityCount = options.authorities ?? 3;
  const layerCount = options.layers ?? 3;
  const perLayer = options.mixesPerLayer ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'hush-mixnet-'));
  const members: MixnetMember[] = [];
  const stop = async () => {
    await Promise.all(members.map((m) => m.process.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const authorityDirs = Array.from({ length: authorityCount }, (_, i) =>
      join(dir, `authority-${i}`),
    );
    const mixDirs = Array.from({ length: layerCount * perLayer }, (_, i) =>
      join(dir, `mix-${Math.floor(i / perLayer)}-${i % perLayer}`),
    );
    const gatewayCount = options.gateways ?? 1;
    if (!Number.isInteger(gatewayCount) || gatewayCount < 1)
      throw new RangeError(`gateways must be a positive integer, not ${gatewayCount}`);
    const gatewayDirs = Array.from({ length: gatewayCount }, (_, i) =>
      join(dir, i === 0 ? 'gateway' : `gateway-${i}`),
    );
    const authorityKeys = await Promise.all(authorityDirs.map((d) => keyOf(d, 'authority')));
    const mixKeys = await Promise.all(mixDirs.map((d) => keyOf(d, 'mix')));
    const gatewayKeys = await Promise.all(gatewayDirs.map((d) => keyOf(d, 'mix')));
    const ports = await Promise.all(authorityDirs.map(() => freePort()));
    const network = parseNetworkConfig({
      epochMs: options.epochMs ?? 600_000,
      sphinx: { hops: layerCount + 2, userPayloadLength: options.userPayloadLength ?? 2048 },
      parameters: {
        lambdaP: 1,
        lambdaL: 1,
        lambdaD: 1,
        lambdaM: 1,
        meanDelayMs: options.meanDelayMs ?? 20,
      },
      authorities: authorityKeys.map((publicKey, i) => ({
        publicKey,
        url: `http://127.0.0.1:${ports[i]}`,
      })),
      threshold: options.threshold ?? Math.floor(authorityCount / 2) + 1,
      layers: Array.from({ length: layerCount }, (_, l) =>
        mixKeys.slice(l * perLayer, (l + 1) * perLayer),
      ),
      gateways: gatewayKeys,
    });
    const networkFile = join(dir, 'network.json');
    writeFileSync(networkFile, `${JSON.stringify(encodeNetworkConfig(network), null, 2)}\n`);
    const timeout =
      options.startTimeoutMs !== undefined ? { timeoutMs: options.startTimeoutMs } : {};

    const startAuthority = async (dataDir: string, i: number) => {
      const name = `authority ${i}`;
      const { process, value } = await spawnHush(
        name,
        ['directory', '--network', networkFile, '--data-dir', dataDir, '--log-format', 'json'],
        `${dataDir}.log`,
        (line) => /^ {2}http +(\S+)\/v1\//.exec(line)?.[1],
        timeout,
      );
      members.push({ name, dataDir, process, url: value });
      return members.at(-1)!;
    };
    const startMix = async (dataDir: string, name: string) => {
      const found: { links?: string[]; metrics?: string } = {};
      const { process } = await spawnHush(
        name,
        [
          'mix',
          '--network',
          networkFile,
          '--data-dir',
          dataDir,
          '--listen',
          '127.0.0.1:0',
          '--metrics-port',
          '0',
          '--log-format',
          'json',
        ],
        `${dataDir}.log`,
        (line) => {
          const links = /^ {2}links +(\S+)/.exec(line);
          if (links) found.links = links[1]!.split(',');
          const metrics = /^ {2}metrics +(\S+)\/metrics/.exec(line);
          if (metrics) found.metrics = metrics[1]!;
          return found.links && found.metrics ? found : undefined;
        },
        timeout,
      );
      const member = { name, dataDir, process, links: found.links!, metricsUrl: found.metrics! };
      members.push(member);
      return member;
    };
    const settled = await Promise.allSettled([
      ...authorityDirs.map((d, i) => startAuthority(d, i)),
      ...mixDirs.map((d, i) => startMix(d, `mix ${Math.floor(i / perLayer)}.${i % perLayer}`)),
      ...gatewayDirs.map((d, i) => startMix(d, i === 0 ? 'gateway' : `gateway ${i}`)),
    ]);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const authorities = members
      .filter((m) => m.name.startsWith('authority'))
      .sort((a, b) => a.name.localeCompare(b.name));
    const mixes = members
      .filter((m) => m.name.startsWith('mix'))
      .sort((a, b) => a.name.localeCompare(b.name));
    return {
      dir,
      networkFile,
      network,
      authorities,
      mixes,
      gateway: members.find((m) => m.name === 'gateway')!,
      gateways: members
        .filter((m) => m.name.startsWith('gateway'))
        .sort((a, b) => a.name.localeCompare(b.name)),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A `hush` node that sends and receives through the mixnet (`--mixnet`). */
export interface MixnetWhisperNode {
  readonly name: string;
  readonly dataDir: string;
  readonly process: HushProcess;
  readonly rpcUrl: string;
  readonly metricsUrl: string;
  /** Its mixnet address, `<queue id>@<gateway id>`. */
  readonly address: string;
}

/**
 * Starts a `hush` node on the mixnet (`--mixnet` with the network file; gossip, RPC and
 * metrics on free loopback ports; no DHT, direct channels or web app), in the mixnet's
 * directory, with `args` added (`--mixnet-exit`, `--mixnet-exit-via …`). The caller stops it
 * before the mixnet.
 *
 * @throws TestnetError when it exits first or prints no mixnet address in time
 */
export async function startWhisperNode(
  mixnet: Pick<Mixnet, 'dir' | 'networkFile'>,
  name: string,
  args: readonly string[] = [],
): Promise<MixnetWhisperNode> {
  const dataDir = join(mixnet.dir, `whisper-${name}`);
  const metricsPort = await freePort();
  const found: { address?: string; rpc?: string } = {};
  const { process } = await spawnHush(
    `hush ${name}`,
    [
      '--data-dir',
      dataDir,
      '--listen',
      '127.0.0.1:0',
      '--rpc-port',
      '0',
      '--ws-port',
      '0',
      '--metrics-port',
      String(metricsPort),
      '--web-port',
      '-1',
      '--no-dht',
      '--no-direct',
      '--log-format',
      'json',
      '--mixnet',
      mixnet.networkFile,
      ...args,
    ],
    `${dataDir}.log`,
    (line) => {
      const address = /^ {2}mixnet +([0-9a-f]{64}@[0-9a-f]{64})/.exec(line);
      if (address) found.address = address[1]!;
      const rpc = /^ {2}rpc +(\S+)/.exec(line);
      if (rpc) found.rpc = rpc[1]!;
      return found.address && found.rpc ? found : undefined;
    },
  );
  return {
    name,
    dataDir,
    process,
    rpcUrl: found.rpc!,
    metricsUrl: `http://127.0.0.1:${metricsPort}`,
    address: found.address!,
  };
}

/**
 * Waits until the current epoch's document is published (the threshold of signatures, every
 * mix and the gateway in it) and every mix and the gateway holds it (its /health/ready).
 *
 * @returns the document
 * @throws TestnetError after `timeoutMs` (default 120 s), saying what is missing
 */
export async function waitForMixnet(
  mixnet: Mixnet,
  options: { timeoutMs?: number } = {},
): Promise<DirectoryDocument> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  const want = mixnet.mixes.length;
  let missing = 'no document yet';
  while (Date.now() < deadline) {
    const epoch = epochAt(Date.now(), mixnet.network.epochMs);
    try {
      const { document } = await fetchDirectory(mixnet.network, epoch);
      const mixes = document.layers.flat().length;
      if (mixes < want) missing = `the document names ${mixes} of ${want} mixes`;
      else if (document.gateways.length < mixnet.gateways.length)
        missing = `the document names ${document.gateways.length} of ${mixnet.gateways.length} gateways`;
      else {
        const members = [...mixnet.mixes, ...mixnet.gateways];
        const ready = await Promise.all(
          members.map((m) =>
            fetch(`${m.metricsUrl}/health/ready`).then(
              (r) => r.ok,
              () => false,
            ),
          ),
        );
        const notReady = members.filter((_, i) => !ready[i]).map((m) => m.name);
        if (notReady.length === 0) return document;
        missing = `${notReady.join(', ')} not holding the document yet`;
      }
    } catch (error) {
      missing = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new TestnetError(`the mixnet did not form: ${missing}`);
}
