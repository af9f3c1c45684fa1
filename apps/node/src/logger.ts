/**
 * The node's logger: pino on standard error (standard output stays for command output). JSON
 * by default when standard error is not a terminal (services, containers, log shippers);
 * readable lines through pino-pretty in a terminal or with --log-format pretty.
 */
import type { Logger } from '@hush/interface';
import { pino } from 'pino';
import pretty from 'pino-pretty';

/** The format `auto` resolves to for this process. */
export function resolveLogFormat(format: 'json' | 'pretty' | 'auto'): 'json' | 'pretty' {
  if (format !== 'auto') return format;
  return process.stderr.isTTY ? 'pretty' : 'json';
}

/** A logger at `level` in `format` (auto: pretty in a terminal, JSON otherwise). */
export function createLogger(level: string, format: 'json' | 'pretty' | 'auto'): Logger {
  const destination =
    resolveLogFormat(format) === 'json'
      ? pino.destination(2)
      : pretty({
          destination: 2,
          sync: true,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname',
        });
  const base = pino({ level, base: null }, destination);
  return {
    debug: (fields, message) => base.debug(fields, message),
    info: (fields, message) => base.info(fields, message),
    warn: (fields, message) => base.warn(fields, message),
    error: (fields, message) => base.error(fields, message),
  };
}
