/**
 * specs/transport-direct/SPEC.md §7: store-and-forward, exactly once, through SIGKILL. Two
 * processes (fixtures/direct-peer.ts: the node's LevelDB store, its contact list, direct
 * channels over WebSocket under the hush-direct/1 Noise link) are contacts. Each is online
 * 10 % of the time and is killed with SIGKILL at random moments, online or not, then started
 * again over the same data directory. One sends 10,000 messages to the other. At the end,
 * every message whose `send()` the sender reported as accepted is in the receiver's inbox,
 * and the receiver's node handed none out twice.
 *
 * The schedule: time runs in epochs of 3 s; in each, each side is online for one spell of
 * 250–350 ms starting at a random moment of the epoch's first 400 ms (so their spells mostly
 * overlap, as two friends' evenings do: with independent spells the two would meet 1 % of the
 * time and the test would last many minutes), and is killed at a random moment of the epoch
 * with probability 0.25, half the time within its online spell (a run lasts until each side has been killed at least 3 times and
 * everything is delivered). A killed side starts again at once and rejoins the schedule at the
 * next epoch; its start-up time counts as offline. The sender's application hands 800
 * messages to `send()` each epoch, online or not.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes, secp256k1Identity, secp256k1Verifier } from '@hush/crypto';
import { envelopeHash } from '@hush/envelope';
import { DirectInbox, directLinkEncrypter } from '@hush/transport-direct';
import { afterAll, describe, expect, it } from 'vitest';
import { LevelStore } from '../src/store/store.js';
import { testEnvelope } from './fixtures/direct-envelope.js';

const MESSAGES = 10_000;
const EPOCH_MS = 3000;
/** An online spell's length and its start within the epoch, ms. */
const SPELL = [250, 350] as const;
const SPELL_START = [0, 400] as const;
/** Chance that a side is killed during an epoch, and the fewest kills of each side a run needs. */
const KILL = 0.25;
const MIN_KILLS = 3;
/** Messages the sender's application hands to `send()` each epoch. */
const BATCH = 800;
/** A bound on the whole run, so a broken channel fails instead of hanging CI. */
const DEADLINE_MS = 300_000;

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const uniform = ([min, max]: readonly [number, number]) => min + Math.random() * (max - min);

function newKey(): Uint8Array {
  let key: Uint8Array;
  do key = randomBytes(32);
  while (key[0] === 0);
  return key;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Side {
  readonly name: string;
  readonly setup: string;
  readonly dir: string;
  readonly log: string;
  child: ChildProcessWithoutNullStreams | undefined;
  ready: boolean;
  online: boolean;
  onlineMs: number;
  kills: number;
  starts: number;
  pending: number;
  /** Exits other than our SIGKILLs: crashes. */
  readonly crashes: string[];
  onLine: (line: string) => void;
}

const fixture = fileURLToPath(new URL('./fixtures/direct-peer.ts', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'hush-direct-kill-'));
const running = new Set<ChildProcessWithoutNullStreams>();
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

function start(side: Side): Promise<void> {
  const child = spawn(
    process.execPath,
    ['--conditions=@hush/source', '--import', 'tsx', fixture, side.setup],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  running.add(child);
  side.child = child;
  side.ready = false;
  side.online = false;
  side.starts++;
  let errors = '';
  child.stderr.on('data', (chunk) => {
    errors += chunk;
  });
  let buffer = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line === 'ready') {
          side.ready = true;
          resolve();
        } else if (line.startsWith('pending ')) side.pending = Number(line.slice(8));
        else side.onLine(line);
        newline = buffer.indexOf('\n');
      }
    });
    child.on('exit', (code, signal) => {
      running.delete(child);
      if (side.child === child) {
        side.child = undefined;
        side.ready = false;
        side.online = false;
      }
      if (signal !== 'SIGKILL') {
        const crash = `${side.name} exited (${code ?? signal}): ${errors.slice(-2000)}`;
        side.crashes.push(crash);
        reject(new Error(crash));
      }
      // Killed while starting (the run ended): nothing to wait for.
      resolve();
    });
  });
}

function kill(side: Side, counted = true): Promise<void> {
  const child = side.child;
  if (!child) return Promise.resolve();
  if (counted) side.kills++;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  return exited;
}

function command(side: Side, line: string): void {
  side.child?.stdin.write(`${line}\n`);
}

describe('store-and-forward through SIGKILL (SPEC §7)', () => {
  it(
    `delivers every accepted message of ${MESSAGES}, none twice, between two processes each online 10 % of the time and killed at random`,
    async () => {
      const verifier = secp256k1Verifier();
      const keys = [newKey(), newKey()];
      const statics = [randomBytes(32), randomBytes(32)];
      const ports = [await freePort(), await freePort()];
      const statik = (i: number) =>
        directLinkEncrypter({
          identity: secp256k1Identity(keys[i]!),
          verifier,
          staticKey: statics[i]!,
          isContact: () => true,
        }).staticKey;
      const sides: Side[] = [0, 1].map((i) => {
        const dir = join(root, `side-${i}`);
        const log = join(root, `delivered-${i}.log`);
        writeFileSync(log, '');
        const other = 1 - i;
        return {
          name: i === 0 ? 'sender' : 'receiver',
          dir,
          log,
          setup: JSON.stringify({
            dir,
            log,
            key: hex(keys[i]!),
            staticKey: hex(statics[i]!),
            port: ports[i],
            contact: {
              publicKey: hex(secp256k1Identity(keys[other]!).publicKey),
              staticPublic: hex(statik(other)),
              port: ports[other],
            },
          }),
          child: undefined,
          ready: false,
          online: false,
          onlineMs: 0,
          kills: 0,
          starts: 0,
          pending: -1,
          crashes: [],
          onLine: () => {},
        };
      });
      const [sender, receiver] = sides as [Side, Side];
      const accepted = new Set<number>();
      let next = 0;
      sender.onLine = (line) => {
        const [word, index] = line.split(' ');
        const i = Number(index);
        if (word === 'accepted') accepted.add(i);
        if (word === 'accepted' || word === 'known') next = Math.max(next, i + 1);
      };

      const began = Date.now();
      let done = false;
      const deadline = began + DEADLINE_MS;
      // One side's schedule: epoch after epoch, one online spell, sometimes a SIGKILL.
      const nextEpoch = () => began + Math.ceil((Date.now() - began) / EPOCH_MS) * EPOCH_MS;
      const until = (at: number) => sleep(Math.max(0, at - Date.now()));
      let requested = 0;
      const live = async (side: Side) => {
        while (!done && Date.now() < deadline) {
          if (!side.child) {
            await start(side);
            requested = next;
          }
          const epoch = nextEpoch();
          // The application sends a batch each epoch, online or not: the outbox keeps it.
          if (side === sender && requested < MESSAGES) {
            const to = Math.min(requested + BATCH, MESSAGES);
            command(side, `send ${requested} ${to}`);
            requested = to;
          }
          const on = epoch + uniform(SPELL_START);
          const off = on + uniform(SPELL);
          // Half the kills land in the online spell, where messages and acknowledgements are
          // being written and sent; the others anywhere in the epoch.
          const killAt =
            Math.random() >= KILL
              ? Number.POSITIVE_INFINITY
              : Math.random() < 0.5
                ? on + Math.random() * (off - on)
                : epoch + Math.random() * EPOCH_MS;
          await until(Math.min(on, killAt));
          if (done) break;
          if (killAt <= on) {
            await kill(side);
            continue;
          }
          command(side, 'online');
          side.online = true;
          await until(Math.min(off, killAt));
          side.onlineMs += Date.now() - on;
          if (killAt <= off) {
            await kill(side);
            continue;
          }
          command(side, 'offline');
          side.online = false;
          if (killAt < epoch + EPOCH_MS) {
            await until(killAt);
            await kill(side);
          }
        }
      };
      const lives = [live(sender), live(receiver)];
      while (Date.now() < deadline) {
        const killed = sender.kills >= MIN_KILLS && receiver.kills >= MIN_KILLS;
        if (killed && accepted.size === MESSAGES && sender.ready && sender.pending === 0) break;
        await sleep(100);
      }
      done = true;
      await Promise.all(sides.map((side) => kill(side, false)));
      await Promise.all(lives);
      const elapsed = Date.now() - began;

      // The receiver's inbox, read from its data directory after its last SIGKILL.
      const store = await LevelStore.open(receiver.dir);
      const inbox = await DirectInbox.open(store, { now: Date.now() });
      const kept: string[] = [];
      let cursor: Uint8Array | undefined;
      do {
        const page = await inbox.fetch({ limit: 1000, ...(cursor ? { cursor } : {}) });
        kept.push(...page.items.map((item) => hex(item.id.subarray(4))));
        cursor = page.cursor.length ? page.cursor : undefined;
      } while (cursor);
      await store.close();
      const delivered = readFileSync(receiver.log, 'utf8').split('\n').filter(Boolean);
      const expected = new Map<string, number>();
      for (let i = 0; i < MESSAGES; i++) expected.set(hex(envelopeHash(testEnvelope(i))), i);

      const share = (side: Side) => ((100 * side.onlineMs) / elapsed).toFixed(1);
      console.log(
        `kill-and-resend: ${accepted.size} accepted, ${kept.length} kept, ${delivered.length} handed out ` +
          `in ${(elapsed / 1000).toFixed(1)} s; sender online ${share(sender)} %, ${sender.starts} starts, ` +
          `${sender.kills} SIGKILLs; receiver online ${share(receiver)} %, ${receiver.starts} starts, ` +
          `${receiver.kills} SIGKILLs`,
      );
      expect([...sender.crashes, ...receiver.crashes], 'crashes').toEqual([]);
      expect(accepted.size, 'every message accepted before the deadline').toBe(MESSAGES);
      // Every accepted message is kept, and nothing else is.
      const keptSet = new Set(kept);
      expect(kept.length).toBe(keptSet.size);
      const missing = [...accepted].filter((i) => !keptSet.has(hex(envelopeHash(testEnvelope(i)))));
      expect(missing, 'accepted messages missing from the inbox').toEqual([]);
      expect(kept.filter((hash) => !expected.has(hash))).toEqual([]);
      // None handed out twice, and only kept ones.
      expect(delivered.length - new Set(delivered).size, 'messages handed out twice').toBe(0);
      expect(delivered.filter((hash) => !keptSet.has(hash))).toEqual([]);
      // Both sides really were killed and mostly offline.
      expect(Math.min(sender.kills, receiver.kills)).toBeGreaterThanOrEqual(MIN_KILLS);
      expect(sender.onlineMs / elapsed).toBeLessThan(0.2);
      expect(receiver.onlineMs / elapsed).toBeLessThan(0.2);
    },
    DEADLINE_MS + 60_000,
  );
});
