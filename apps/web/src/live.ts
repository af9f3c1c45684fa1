/**
 * The live panel's entry (specs/web/SPEC.md §6), loaded only when the panel is opened, so its
 * chart library is not part of the first screen.
 */
import type { HushApp } from './app.js';
import { createLivePanel } from './panel.js';

/** Draws the live panel into `container`; it stops itself when the container leaves the page. */
export function mountLivePanel(container: HTMLElement, app: HushApp): void {
  if (!app.metrics) return;
  const panel = createLivePanel(container, {
    metrics: app.metrics,
    peers: () => app.currentPeer?.peerCount() ?? 0,
    powTimes: () => app.state.powTimes,
  });
  const stopWhenGone = () => {
    if (!container.isConnected) {
      panel.stop();
      app.removeEventListener('change', stopWhenGone);
    }
  };
  app.addEventListener('change', stopWhenGone);
}
