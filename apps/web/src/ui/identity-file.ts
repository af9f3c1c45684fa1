/**
 * Export and import of the identity file: the vault's ciphertext record as JSON, saved
 * through a download link and read back through a file input. Importing asks for the file's
 * passphrase and replaces this browser's identity only when that passphrase opens it.
 */
import type { HushApp } from '../app.js';
import { el } from './dom.js';

/** Saves the identity file. */
export async function exportIdentity(app: HushApp): Promise<void> {
  const text = await app.exportIdentity();
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const link = el('a', {
    href: url,
    download: `hush-identity-${(app.state.publicKey ?? '').slice(4, 12)}.json`,
  });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A file picker and a passphrase field that import an identity file. */
export function importButton(
  app: HushApp,
  busy: (task: () => Promise<void>) => Promise<void>,
): HTMLElement {
  const file = el('input', { type: 'file', id: 'identity-file', accept: 'application/json,.json' });
  const passphrase = el('input', {
    type: 'password',
    id: 'import-passphrase',
    autocomplete: 'off',
  });
  return el(
    'form',
    {
      onsubmit: (event) => {
        event.preventDefault();
        const chosen = file.files?.[0];
        if (!chosen) return;
        void busy(async () => app.importIdentity(await chosen.text(), passphrase.value));
      },
    },
    el('label', { for: 'identity-file' }, 'Identity file'),
    file,
    el('label', { for: 'import-passphrase' }, 'Password of the file'),
    passphrase,
    el('button', { type: 'submit' }, 'Import identity'),
  );
}
