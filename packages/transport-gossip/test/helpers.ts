/** Helpers for the transport and node tests. */
import { generatePrivateKey } from '@hush/message';

export { generatePrivateKey };

/** Resolves once `condition` holds (polling), or rejects after `ms`. */
export async function eventually(
  condition: () => boolean,
  ms = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
