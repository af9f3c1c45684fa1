/**
 * The first screens (specs/web/SPEC.md §2): no identity yet (create or import one) and
 * locked (unlock, or import another). What the node can and cannot see is said here, before
 * anything is typed.
 */
import type { HushApp } from '../app.js';
import { el } from './dom.js';
import { importButton } from './identity-file.js';

/** What is private and what is not, in plain words. */
export function privacyNote(): HTMLElement {
  return el(
    'section',
    { class: 'privacy', 'aria-label': 'What is private' },
    el(
      'p',
      {},
      el('strong', {}, 'Your keys never leave this page. '),
      'They are made here and kept in this browser, encrypted under your passphrase. Messages are sealed and opened here; the node relays envelopes it cannot read.',
    ),
    el(
      'p',
      {},
      el('strong', {}, 'What the node sees: '),
      'your IP address, when you are online, which topics you listen to (a bloom filter), and the size and timing of envelopes. Channel messages can be read by anyone who knows the channel name.',
    ),
  );
}

/** The screen without an identity. */
export function welcomeScreen(
  app: HushApp,
  busy: (task: () => Promise<void>) => Promise<void>,
): HTMLElement {
  const passphrase = el('input', {
    type: 'password',
    id: 'passphrase',
    autocomplete: 'new-password',
    required: true,
    minlength: 8,
    'aria-describedby': 'passphrase-help',
  });
  const form = el(
    'form',
    {
      onsubmit: (event) => {
        event.preventDefault();
        void busy(() => app.create(passphrase.value));
      },
    },
    el('label', { for: 'passphrase' }, 'Passphrase'),
    passphrase,
    el('button', { type: 'submit', class: 'primary' }, 'Create identity'),
  );
  return el(
    'main',
    { class: 'gate' },
    el('h1', {}, 'Hush'),
    el(
      'p',
      {},
      'Dark messaging in your browser: public channels, 1:1 chats and direct channels between contacts.',
    ),
    privacyNote(),
    el('h2', {}, 'Create your identity'),
    form,
    el(
      'p',
      { id: 'passphrase-help', class: 'privacy' },
      'At least 8 characters. It encrypts your keys and history in this browser; there is no way to recover it.',
    ),
    el('h2', {}, 'Or bring one'),
    importButton(app, busy),
  );
}

/** The locked screen. */
export function lockedScreen(
  app: HushApp,
  busy: (task: () => Promise<void>) => Promise<void>,
): HTMLElement {
  const passphrase = el('input', {
    type: 'password',
    id: 'passphrase',
    autocomplete: 'current-password',
    required: true,
  });
  return el(
    'main',
    { class: 'gate' },
    el('h1', {}, 'Hush is locked'),
    el('p', {}, 'Your identity:'),
    el(
      'output',
      { class: 'key', 'aria-label': 'Your public key', 'aria-live': 'off' },
      app.state.publicKey ?? '',
    ),
    el(
      'form',
      {
        onsubmit: (event) => {
          event.preventDefault();
          void busy(() => app.unlock(passphrase.value));
        },
      },
      el('label', { for: 'passphrase' }, 'Passphrase'),
      passphrase,
      el('button', { type: 'submit', class: 'primary' }, 'Unlock'),
    ),
    privacyNote(),
    el('h2', {}, 'Use another identity'),
    importButton(app, busy),
  );
}
