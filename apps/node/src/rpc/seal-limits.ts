/**
 * Bounds on the proof of work `shh_post` does for its callers: how many seals one client
 * (a WebSocket connection, or an HTTP client's address) may have running at once, so that a
 * client posting hopeless targets cannot take every worker from the others. The seal of a
 * client that goes away is aborted by its call's signal (`CallContext.signal`).
 */

/** Concurrent seals per client. */
export class SealLimits {
  private readonly perClient: number;
  private readonly running = new Map<string, number>();

  private readonly onChange: (running: number) => void;
  private total = 0;

  /**
   * @param perClient - seals one client may run at once
   * @param onChange - told how many seals run in all, whenever that changes (a gauge)
   * @throws RangeError if `perClient` is not a positive integer
   */
  constructor(perClient: number, onChange: (running: number) => void = () => {}) {
    if (!Number.isInteger(perClient) || perClient < 1)
      throw new RangeError('perClient must be a positive integer');
    this.perClient = perClient;
    this.onChange = onChange;
  }

  /**
   * Takes a seal slot for `client`; call the returned function once the seal ends.
   *
   * @throws RangeError when the client already runs `perClient` seals
   */
  acquire(client: string): () => void {
    const now = this.running.get(client) ?? 0;
    if (now >= this.perClient)
      throw new RangeError(
        `this client already has ${now} message${now === 1 ? '' : 's'} being sealed; wait for ${now === 1 ? 'it' : 'them'}`,
      );
    this.running.set(client, now + 1);
    this.onChange(++this.total);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.running.get(client) ?? 1) - 1;
      if (left === 0) this.running.delete(client);
      else this.running.set(client, left);
      this.onChange(--this.total);
    };
  }
}
