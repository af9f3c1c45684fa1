/**
 * Routing commands (specs/mixnet-sphinx/SPEC.md §3), each hop's instructions inside the
 * routing information: null (0x00, the end, the rest zero), next hop (0x01, node id and the
 * next header's MAC), recipient (0x02, 32-byte id), SURB reply (0x03, 16-byte SURB id) and
 * node delay (0x80, milliseconds, u32 big-endian), byte-exact with Katzenpost.
 */
import { SphinxError } from './errors.js';
import { MAC_LENGTH, NODE_ID_LENGTH, SURB_ID_LENGTH } from './geometry.js';

/** Command types on the wire. */
export const CommandType = {
  null: 0x00,
  nextNodeHop: 0x01,
  recipient: 0x02,
  surbReply: 0x03,
  nodeDelay: 0x80,
} as const;

/** One routing command. */
export type RoutingCommand =
  | { readonly type: 'next-node-hop'; readonly id: Uint8Array; readonly mac: Uint8Array }
  | { readonly type: 'recipient'; readonly id: Uint8Array }
  | { readonly type: 'surb-reply'; readonly id: Uint8Array }
  | { readonly type: 'node-delay'; readonly delayMs: number };

function fixed(bytes: Uint8Array, length: number, name: string): Uint8Array {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length)
    throw new RangeError(`${name} must be ${length} bytes`);
  return bytes;
}

/**
 * The wire form of one command.
 *
 * @throws RangeError naming a field of the wrong length or a delay out of u32 range
 */
export function encodeCommand(command: RoutingCommand): Uint8Array {
  switch (command.type) {
    case 'next-node-hop':
      return Uint8Array.of(
        CommandType.nextNodeHop,
        ...fixed(command.id, NODE_ID_LENGTH, 'id'),
        ...fixed(command.mac, MAC_LENGTH, 'mac'),
      );
    case 'recipient':
      return Uint8Array.of(CommandType.recipient, ...fixed(command.id, NODE_ID_LENGTH, 'id'));
    case 'surb-reply':
      return Uint8Array.of(CommandType.surbReply, ...fixed(command.id, SURB_ID_LENGTH, 'id'));
    case 'node-delay': {
      const { delayMs } = command;
      if (!Number.isInteger(delayMs) || delayMs < 0 || delayMs > 0xffffffff)
        throw new RangeError('delayMs must be a u32');
      const out = new Uint8Array(5);
      out[0] = CommandType.nodeDelay;
      new DataView(out.buffer).setUint32(1, delayMs);
      return out;
    }
  }
}

/** The commands one after the other. */
export function encodeCommands(commands: readonly RoutingCommand[]): Uint8Array {
  const parts = commands.map(encodeCommand);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Reads a hop's command block: commands until a null command (whose padding must be zero)
 * or the end. At most one next hop and one SURB reply, as Katzenpost allows.
 *
 * @throws SphinxError 'bad-command' for an unknown type, a command cut short, padding that is
 *   not zero, or a repeated next hop or SURB reply
 */
export function decodeCommands(block: Uint8Array): RoutingCommand[] {
  const out: RoutingCommand[] = [];
  let at = 0;
  const bad = (why: string) => new SphinxError('bad-command', `routing commands: ${why}`);
  const take = (n: number) => {
    if (at + n > block.length) throw bad('a command is cut short');
    const bytes = block.slice(at, at + n);
    at += n;
    return bytes;
  };
  while (at < block.length) {
    const type = block[at++]!;
    if (type === CommandType.null) {
      for (; at < block.length; at++) if (block[at] !== 0) throw bad('null padding is not zero');
      break;
    }
    if (type === CommandType.nextNodeHop) {
      if (out.some((c) => c.type === 'next-node-hop')) throw bad('two next hops');
      out.push({ type: 'next-node-hop', id: take(NODE_ID_LENGTH), mac: take(MAC_LENGTH) });
    } else if (type === CommandType.recipient) {
      out.push({ type: 'recipient', id: take(NODE_ID_LENGTH) });
    } else if (type === CommandType.surbReply) {
      if (out.some((c) => c.type === 'surb-reply')) throw bad('two SURB replies');
      out.push({ type: 'surb-reply', id: take(SURB_ID_LENGTH) });
    } else if (type === CommandType.nodeDelay) {
      const b = take(4);
      out.push({ type: 'node-delay', delayMs: new DataView(b.buffer).getUint32(0) });
    } else throw bad(`unknown type 0x${type.toString(16).padStart(2, '0')}`);
  }
  return out;
}
