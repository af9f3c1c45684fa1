/**
 * Handshake patterns (Noise Protocol Framework rev. 34 §7.4 one-way, §7.5 fundamental
 * interactive, §18 deferred) and the psk modifiers (§9.3), in the spec's notation: tokens of
 * pre-messages and of each message, alternating from the initiator.
 */
import { NoiseError } from './errors.js';

export type Token = 'e' | 's' | 'ee' | 'es' | 'se' | 'ss' | 'psk';

/** A handshake pattern: what each side knows in advance, then the messages. */
export interface HandshakePattern {
  readonly name: string;
  /** Keys the responder knows of the initiator in advance (`-> s`). */
  readonly initiatorPre: readonly Token[];
  /** Keys the initiator knows of the responder in advance (`<- s`). */
  readonly responderPre: readonly Token[];
  /** Messages, the first from the initiator, then alternating. */
  readonly messages: readonly (readonly Token[])[];
  /** One-way patterns (N, K, X): every message goes from the initiator. */
  readonly oneWay: boolean;
}

/** Pattern, pre-messages and messages, as written in the spec (`|` separates messages). */
const TABLE: Record<string, [string, string, string]> = {
  N: ['', 's', 'e,es'],
  K: ['s', 's', 'e,es,ss'],
  X: ['', 's', 'e,es,s,ss'],
  NN: ['', '', 'e|e,ee'],
  NK: ['', 's', 'e,es|e,ee'],
  NX: ['', '', 'e|e,ee,s,es'],
  XN: ['', '', 'e|e,ee|s,se'],
  XK: ['', 's', 'e,es|e,ee|s,se'],
  XX: ['', '', 'e|e,ee,s,es|s,se'],
  KN: ['s', '', 'e|e,ee,se'],
  KK: ['s', 's', 'e,es,ss|e,ee,se'],
  KX: ['s', '', 'e|e,ee,se,s,es'],
  IN: ['', '', 'e,s|e,ee,se'],
  IK: ['', 's', 'e,es,s,ss|e,ee,se'],
  IX: ['', '', 'e,s|e,ee,se,s,es'],
  NK1: ['', 's', 'e|e,ee,es'],
  NX1: ['', '', 'e|e,ee,s|es'],
  X1N: ['', '', 'e|e,ee|s|se'],
  X1K: ['', 's', 'e,es|e,ee|s|se'],
  XK1: ['', 's', 'e|e,ee,es|s,se'],
  X1K1: ['', 's', 'e|e,ee,es|s|se'],
  X1X: ['', '', 'e|e,ee,s,es|s|se'],
  XX1: ['', '', 'e|e,ee,s|es,s,se'],
  X1X1: ['', '', 'e|e,ee,s|es,s|se'],
  K1N: ['s', '', 'e|e,ee|se'],
  K1K: ['s', 's', 'e,es|e,ee|se'],
  KK1: ['s', 's', 'e|e,ee,se,es'],
  K1K1: ['s', 's', 'e|e,ee,es|se'],
  K1X: ['s', '', 'e|e,ee,s,es|se'],
  KX1: ['s', '', 'e|e,ee,se,s|es'],
  K1X1: ['s', '', 'e|e,ee,s|se,es'],
  I1N: ['', '', 'e,s|e,ee|se'],
  I1K: ['', 's', 'e,es,s|e,ee|se'],
  IK1: ['', 's', 'e,s|e,ee,se,es'],
  I1K1: ['', 's', 'e,s|e,ee,es|se'],
  I1X: ['', '', 'e,s|e,ee,s,es|se'],
  IX1: ['', '', 'e,s|e,ee,se,s|es'],
  I1X1: ['', '', 'e,s|e,ee,s|se,es'],
};

const tokens = (text: string): Token[] => (text ? (text.split(',') as Token[]) : []);

/**
 * The pattern a protocol name's pattern part names, modifiers applied: `XXpsk3`,
 * `NNpsk0+psk2`.
 *
 * @throws NoiseError 'unknown-protocol' for a pattern or modifier this package does not know
 */
export function handshakePattern(name: string): HandshakePattern {
  const match = /^([A-Z0-9]+?)((?:psk\d)(?:\+psk\d)*)?$/.exec(name);
  const base = match ? TABLE[match[1]!] : undefined;
  if (!match || !base)
    throw new NoiseError('unknown-protocol', `unknown handshake pattern ${name}`);
  const [initiatorPre, responderPre, body] = base;
  const messages = body.split('|').map(tokens);
  for (const modifier of match[2] ? match[2].split('+') : []) {
    const at = Number(modifier.slice(3));
    if (at > messages.length)
      throw new NoiseError('unknown-protocol', `${modifier} does not fit ${match[1]}`);
    // psk0 goes first in the first message; pskN last in message N.
    if (at === 0) messages[0]!.unshift('psk');
    else messages[at - 1]!.push('psk');
  }
  return {
    name,
    initiatorPre: tokens(initiatorPre),
    responderPre: tokens(responderPre),
    messages,
    oneWay: match[1]!.length === 1,
  };
}

/** The names of every base pattern this package knows. */
export const PATTERN_NAMES: readonly string[] = Object.keys(TABLE);
