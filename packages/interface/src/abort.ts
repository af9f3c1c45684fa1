/** Cancellation, the same way on every asynchronous operation of every package. */

/** Options of an operation that can be given up. */
export interface AbortOptions {
  /** When aborted, the operation stops and rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/**
 * Throws the signal's reason when it has already been aborted.
 *
 * @throws the signal's reason (a DOMException 'AbortError' unless the caller gave another)
 */
export function throwIfAborted(options?: AbortOptions): void {
  options?.signal?.throwIfAborted();
}
