/** Waiting for a condition in the suites: events, never deadlines, decide what passes. */

/**
 * Resolves once `test()` holds, checking every 5 ms.
 *
 * @throws Error naming `what` if it still does not hold after `ms` (a hung implementation)
 */
export async function waitFor(
  test: () => boolean | Promise<boolean>,
  what: string,
  ms = 20_000,
): Promise<void> {
  const start = Date.now();
  while (!(await test())) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
