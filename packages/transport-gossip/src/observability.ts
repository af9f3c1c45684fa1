/**
 * The logger and metrics interfaces the engine reports through. Applications wire real
 * implementations (the reference node uses pino and prom-client); the library imports neither.
 */

/** A structured logger (pino's calling convention: fields first, then the message). */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** Counters and gauges, by name with optional labels. */
export interface Metrics {
  count(name: string, value?: number, labels?: Record<string, string>): void;
  gauge(name: string, value: number, labels?: Record<string, string>): void;
}

const nothing = () => {};

/** A logger that discards everything. */
export const silentLogger: Logger = {
  debug: nothing,
  info: nothing,
  warn: nothing,
  error: nothing,
};

/** Metrics that record nothing. */
export const noMetrics: Metrics = { count: nothing, gauge: nothing };
