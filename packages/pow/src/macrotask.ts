/**
 * Yields to the event loop between scan chunks, so abort signals, timers and progress
 * callbacks run during a long in-thread search. setTimeout would be clamped to 4 ms in
 * browsers after a few nestings, so a MessageChannel is used where setImmediate is missing.
 */
export function macrotask(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
  if (immediate) return new Promise((resolve) => immediate(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
