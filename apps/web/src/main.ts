/**
 * The page's entry (specs/web/SPEC.md): reads where to connect from the serving node, opens
 * the page's database, and renders the screen the vault's state calls for. Errors become a
 * notice on the page; a failed action never leaves a half-built screen.
 */
import './style.css';
import { HushApp, type UnlockHooks } from './app.js';
import { fetchWebConfig } from './config.js';
import { openPageDb } from './db.js';
import { errorText, WebError } from './errors.js';
import { PageMetrics } from './page-metrics.js';
import { el, replaceChildren } from './ui/dom.js';
import { lockedScreen, welcomeScreen } from './ui/gate.js';
import { type Shell, shellScreen } from './ui/shell.js';

const root = document.getElementById('app')!;

/** Unlock hooks whose module is imported when they are first needed. */
function lazyHooks(load: () => Promise<UnlockHooks>): UnlockHooks {
  let loaded: Promise<UnlockHooks> | undefined;
  const hooks = () => (loaded ??= load());
  return {
    unlocked: async (context) => (await hooks()).unlocked(context),
    locked: async () => (await hooks()).locked?.(),
    joined: async (topic) => (await hooks()).joined?.(topic),
    card: async () => (await hooks()).card?.(),
    deposit: async (inboxKey, envelope) => {
      const deposit = (await hooks()).deposit;
      return deposit ? deposit(inboxKey, envelope) : 0;
    },
  };
}

async function boot(): Promise<void> {
  let app: HushApp;
  try {
    // WebCrypto (the vault, the history) exists only in secure contexts: https, or this machine.
    if (!globalThis.isSecureContext)
      throw new WebError(
        'insecure-context',
        'this page needs https (or http://localhost): open it through TLS or on the node’s own machine',
      );
    const [config, db] = await Promise.all([fetchWebConfig(), openPageDb()]);
    app = new HushApp(db, config, new PageMetrics());
    // Loaded on first unlock: the welcome and locked screens need neither.
    app.onUnlock(
      lazyHooks(() => import('./offline-service.js').then((m) => m.offlineServices(config))),
    );
    app.onUnlock(
      lazyHooks(() => import('./direct-service.js').then((m) => m.directServices(config))),
    );
  } catch (error) {
    replaceChildren(
      root,
      el(
        'main',
        { class: 'gate' },
        el('h1', {}, 'Hush cannot start'),
        el('p', { role: 'alert' }, errorText(error)),
      ),
    );
    return;
  }
  let screen: string | undefined;
  let shell: Shell | undefined;
  let gateAlert: HTMLElement | undefined;
  let working = false;

  /** Runs a user action: one at a time, its error shown, never thrown. */
  const busy = async (task: () => Promise<void>): Promise<void> => {
    if (working) return;
    working = true;
    root.setAttribute('aria-busy', 'true');
    try {
      await task();
    } catch (error) {
      if (gateAlert && app.state.screen !== 'unlocked') {
        gateAlert.textContent = errorText(error);
        gateAlert.hidden = false;
      } else app.notify('error', errorText(error));
    } finally {
      working = false;
      root.removeAttribute('aria-busy');
    }
  };

  const render = () => {
    const state = app.state;
    if (state.screen !== screen) {
      screen = state.screen;
      shell = undefined;
      gateAlert = el('p', { role: 'alert', class: 'notice error', hidden: true });
      if (state.screen === 'welcome') {
        const view = welcomeScreen(app, busy);
        view.insertBefore(gateAlert, view.children[1] ?? null);
        replaceChildren(root, view);
      } else if (state.screen === 'locked') {
        const view = lockedScreen(app, busy);
        view.insertBefore(gateAlert, view.children[1] ?? null);
        replaceChildren(root, view);
      } else if (state.screen === 'unlocked') {
        shell = shellScreen(app, busy, (container) => {
          void import('./live.js').then((live) => live.mountLivePanel(container, app));
        });
        replaceChildren(root, shell.element);
      }
      root.querySelector<HTMLElement>('input:not([type=file]), button')?.focus();
      document.title =
        state.screen === 'unlocked'
          ? 'Hush'
          : state.screen === 'locked'
            ? 'Hush (locked)'
            : 'Hush: create identity';
    }
    shell?.update(state);
  };
  app.addEventListener('change', render);
  await app.init();
  render();
  Object.assign(globalThis, { hushReady: true });
}

void boot();
