/** The node's logger: pino, JSON by default, readable lines with --log-format pretty. */

import type { Logger } from '@hush/transport-gossip';
import { pino } from 'pino';

/** A logger at `level`, writing to standard error (standard output stays for command output). */
export function createLogger(level: string, format: 'json' | 'pretty'): Logger {
  if (format === 'json') {
    const base = pino({ level, base: null }, pino.destination(2));
    return {
      debug: (fields, message) => base.debug(fields, message),
      info: (fields, message) => base.info(fields, message),
      warn: (fields, message) => base.warn(fields, message),
      error: (fields, message) => base.error(fields, message),
    };
  }
  const order = ['debug', 'info', 'warn', 'error'];
  const line = (lvl: string) => (fields: Record<string, unknown>, message: string) => {
    if (order.indexOf(lvl) < order.indexOf(level)) return;
    const detail = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    process.stderr.write(
      `${new Date().toISOString()} ${lvl.toUpperCase().padEnd(5)} ${message}${detail ? `  ${detail}` : ''}\n`,
    );
  };
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}
