/**
 * Sphinx vector files (specs/mixnet-sphinx/vectors, Katzenpost's formats), recognised by
 * their content and run through @hush/mixnet-sphinx:
 * - `sphinx_vectors.json` (an array of `{Nodes, Path, Packets, Payload, Surb, SurbKeys}`):
 *   every hop must unwrap to the next packet byte for byte with the case's commands, and the
 *   last hop to the payload (a SURB reply read with its keys);
 * - `sphinx_commands_vectors.json` (`{NextHopCmdWant, …}`): each command encodes to its wire
 *   form and decodes back;
 * - `sprp_aez.json` (`{primitive: "sprp_aez", vectors}`): AEZ v5 with tau 0, both ways.
 */
import {
  aezDecipher,
  aezEncipher,
  aezSprp,
  decodeCommands,
  decryptSurbPayload,
  encodeCommand,
  type Geometry,
  geometry,
  type RoutingCommand,
  unwrapPacket,
} from '@hush/mixnet-sphinx';
import { mismatch, toHexString, vectorBytes } from '../expect.js';
import type { CaseHandler, VectorCase } from './types.js';

const bytes = vectorBytes;
const hex = toHexString;
const same = (got: Uint8Array, want: string, what: string) => {
  if (hex(got) !== want.toLowerCase())
    throw mismatch(`${what}: got ${hex(got)}, want ${want}`, what, want.toLowerCase(), hex(got));
};

/** Whether a parsed file is Katzenpost's Sphinx packet vectors. */
export function isSphinxVectorFile(parsed: unknown): parsed is VectorCase[] {
  return (
    Array.isArray(parsed) &&
    parsed.length > 0 &&
    Array.isArray((parsed[0] as VectorCase).Packets) &&
    Array.isArray((parsed[0] as VectorCase).Nodes)
  );
}

/** A packet case as the Sphinx vectors do not name it: its hops, and whether it is a reply. */
export function namedSphinxCases(cases: readonly VectorCase[]): VectorCase[] {
  return cases.map((c) => ({
    name: `${(c.Path as unknown[]).length} hop(s)${typeof c.Surb === 'string' && c.Surb !== '' ? ', SURB reply' : ''}`,
    ...c,
  }));
}

/** The file's geometry: its longest path's hops, and the payload its packets leave room for. */
export function sphinxGeometry(cases: readonly VectorCase[]): Geometry {
  const hops = Math.max(...cases.map((c) => (Array.isArray(c.Path) ? c.Path.length : 0)));
  const packetLength = bytes((cases[0]!.Packets as unknown[])[0], 'Packets[0]').length;
  const header = geometry(hops, 1).headerLength;
  return geometry(hops, packetLength - header - 32);
}

/** The handler of one packet case, for a file of that geometry. */
export function sphinxVector(geo: Geometry): CaseHandler {
  return async (c) => {
    const nodes = c.Nodes as { ID: string; PrivateKey: string }[];
    const path = c.Path as { ID: string; Commands: string[] }[];
    const packets = c.Packets as string[];
    const surb = typeof c.Surb === 'string' && c.Surb !== '';
    let packet = bytes(packets[0], 'Packets[0]');
    for (const [i, hop] of path.entries()) {
      const node = nodes.find((n) => n.ID === hop.ID);
      if (!node) throw mismatch(`hop ${i}: no node ${hop.ID}`, `hop ${i}: node`, hop.ID, 'none');
      const step = unwrapPacket(geo, bytes(node.PrivateKey, 'PrivateKey'), packet, aezSprp);
      const own = step.commands
        .filter((cmd) => cmd.type !== 'next-node-hop')
        .map((cmd) => hex(encodeCommand(cmd)));
      if (JSON.stringify(own) !== JSON.stringify(hop.Commands))
        throw mismatch(
          `hop ${i}: commands ${JSON.stringify(own)}, want ${JSON.stringify(hop.Commands)}`,
          `hop ${i}: commands`,
          hop.Commands,
          own,
        );
      if (step.kind === 'forward') {
        if (i === path.length - 1)
          throw mismatch(`hop ${i}: the last hop forwards`, `hop ${i}`, 'the last hop', 'forwards');
        same(step.nextHop, path[i + 1]!.ID, `hop ${i}: next hop`);
        same(step.packet, packets[i + 1]!, `hop ${i}: the next packet`);
        packet = step.packet;
      } else {
        if (i !== path.length - 1)
          throw mismatch(
            `hop ${i}: ends before the path does`,
            `hop ${i}`,
            'forwards',
            'the last hop',
          );
        const payload = surb
          ? decryptSurbPayload(step.payload, bytes(c.SurbKeys, 'SurbKeys'), aezSprp)
          : step.payload;
        same(payload, String(c.Payload), 'the payload');
      }
    }
  };
}

/** Whether a parsed file is Katzenpost's routing command vectors. */
export function isSphinxCommandsFile(parsed: unknown): parsed is Record<string, string | number> {
  return typeof (parsed as VectorCase | null)?.NextHopCmdWant === 'string';
}

/** The command vectors as cases: each command, its wire form. */
export function sphinxCommandCases(v: Record<string, string | number>): VectorCase[] {
  const b = (name: string) => bytes(v[name], name);
  return [
    {
      name: 'next node hop',
      command: () => ({ type: 'next-node-hop', id: b('NextHopID'), mac: b('NextHopMAC') }),
      wire: v.NextHopCmdWant,
    },
    {
      name: 'recipient',
      command: () => ({ type: 'recipient', id: b('RecipientID') }),
      wire: v.RecipientCmdWant,
    },
    {
      name: 'SURB reply',
      command: () => ({ type: 'surb-reply', id: b('SURBReplyID') }),
      wire: v.SURBReplyCmdWant,
    },
    {
      name: 'node delay',
      command: () => ({ type: 'node-delay', delayMs: Number(v.NodeDelay) }),
      wire: v.NodeDelayCmdWant,
    },
  ];
}

/** One command case, both directions. */
export const sphinxCommandVector: CaseHandler = async (c) => {
  const command = (c.command as () => RoutingCommand)();
  same(encodeCommand(command), String(c.wire), 'encoded');
  const decoded = decodeCommands(bytes(c.wire, 'wire'));
  if (decoded.length !== 1 || hex(encodeCommand(decoded[0]!)) !== String(c.wire).toLowerCase())
    throw mismatch(
      'decoded: not the command back',
      'decoded',
      String(c.wire).toLowerCase(),
      decoded.map((d) => hex(encodeCommand(d))),
    );
};

/** Whether a parsed file is Katzenpost's AEZ primitive vectors. */
export function isAezVectorFile(parsed: unknown): parsed is { vectors: VectorCase[] } {
  const p = parsed as { primitive?: unknown; vectors?: unknown } | null;
  return p?.primitive === 'sprp_aez' && Array.isArray(p.vectors);
}

/** One AEZ case (tau 0, no AD), both directions. */
export const aezVector: CaseHandler = async (c) => {
  const key = bytes(c.key_hex, 'key_hex');
  const iv = bytes(c.iv_hex, 'iv_hex');
  const plaintext = bytes(c.plaintext_hex, 'plaintext_hex');
  same(aezEncipher(key, iv, plaintext), String(c.ciphertext_hex), 'ciphertext');
  same(
    aezDecipher(key, iv, bytes(c.ciphertext_hex, 'ciphertext_hex')),
    String(c.plaintext_hex),
    'plaintext',
  );
};
