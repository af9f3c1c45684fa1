/**
 * The unlocked screen (specs/web/SPEC.md §4–§6): conversations and the forms that add them,
 * the active conversation's messages with their delivery and signature states, the composer
 * with PoW progress and cancel and, when the node offers a mixnet, "send through the mixnet"
 * with the page's mixnet client's state, missed-message progress, and the live panel. Built once per
 * unlock; `update` changes only what changed, so focus and typed text survive every event.
 */
import type { AppState, HushApp } from '../app.js';
import { errorText } from '../errors.js';
import type { StoredMessage } from '../history.js';
import { el, replaceChildren } from './dom.js';
import { exportIdentity } from './identity-file.js';

const STATE_TEXT: Record<StoredMessage['state'], string> = {
  sealing: 'computing proof of work',
  queued: 'queued: not connected',
  sent: 'sent to the node',
  stored: 'stored in the contact’s inbox',
  delivered: 'delivered',
  failed: 'failed',
  cancelled: 'cancelled',
  received: 'received',
};

const SIGNATURE_TEXT: Record<StoredMessage['signature'], string> = {
  verified: 'signature verified',
  signed: 'signed by an unknown key',
  unsigned: 'unsigned',
  own: '',
};

const PATH_TEXT: Record<StoredMessage['path'], string> = {
  gossip: 'via gossip',
  direct: 'via direct channel',
  inbox: 'from the DHT inbox',
  mailserver: 'from the mailserver',
  local: '',
  mixnet: 'via the mixnet',
};

/** What the composer says of the page's mixnet client. */
function mixnetText(status: AppState['mixnet']['status']): string {
  const loops = status.loops && status.loops.back > 0 ? `, ${status.loops.back} loops back` : '';
  switch (status.phase) {
    case 'off':
      return 'Mixnet: off';
    case 'connecting':
      return `Mixnet: connecting…${status.reason ? ` (${status.reason})` : ''}`;
    case 'ready':
      return `Mixnet: ready (cover traffic on${loops})`;
    case 'unavailable':
      return `Mixnet: unavailable${status.reason ? `: ${status.reason}` : ''}`;
  }
}

/** The unlocked screen's element and its updater. */
export interface Shell {
  readonly element: HTMLElement;
  update(state: AppState): void;
}

function time(ms: number): string {
  return new Date(ms).toLocaleTimeString([], {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

function messageItem(message: StoredMessage): HTMLLIElement {
  const signer = message.signer ? `0x${message.signer.slice(2, 10)}…` : '';
  return el(
    'li',
    { class: message.direction, 'data-id': message.id, 'data-state': message.state },
    el('div', { class: 'text' }, message.text),
    el(
      'div',
      { class: 'meta' },
      el('time', { datetime: new Date(message.at).toISOString() }, time(message.at)),
      message.direction === 'in' && signer ? el('span', { class: 'key' }, signer) : null,
      SIGNATURE_TEXT[message.signature]
        ? el('span', { class: `sig-${message.signature}` }, SIGNATURE_TEXT[message.signature])
        : null,
      el(
        'span',
        { class: `state-${message.state}` },
        message.path === 'mixnet' && message.state === 'sent'
          ? 'sent into the mixnet'
          : STATE_TEXT[message.state],
      ),
      PATH_TEXT[message.path] ? el('span', {}, PATH_TEXT[message.path]) : null,
      message.powMs !== undefined ? el('span', {}, `PoW ${message.powMs} ms`) : null,
      message.detail ? el('span', { class: 'state-failed' }, message.detail) : null,
    ),
  );
}

/** Builds the unlocked screen. */
export function shellScreen(
  app: HushApp,
  busy: (task: () => Promise<void>) => Promise<void>,
  openPanel: (container: HTMLElement) => void,
): Shell {
  const status = el('span', { class: 'status', role: 'status' });
  const channelName = el('input', {
    type: 'text',
    id: 'channel-name',
    autocomplete: 'off',
    placeholder: 'e.g. status',
  });
  const contactKey = el('input', {
    type: 'text',
    id: 'contact-key',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: '0x04…',
  });
  const conversations = el('ul', { class: 'conversations', 'aria-label': 'Conversations' });
  const title = el('h2', { id: 'conversation-title' });
  const directLine = el('p', { class: 'offline', 'aria-live': 'polite' });
  const messages = el('ul', {
    class: 'messages',
    role: 'list',
    'aria-label': 'Messages',
    'aria-live': 'polite',
  });
  const text = el('input', { type: 'text', id: 'message', autocomplete: 'off', maxlength: 4000 });
  const send = el('button', { type: 'submit', class: 'primary' }, 'Send');
  const pow = el('input', {
    type: 'number',
    id: 'pow-target',
    min: app.config.minPow,
    step: 'any',
    value: app.config.minPow,
    'aria-describedby': 'pow-help',
  });
  const sealing = el('div', { class: 'sealing', 'aria-live': 'polite' });
  // Shown only when the node names a mixnet with an exit (its /hush-web.json `mixnet`).
  const mixnetOption = el('input', { type: 'checkbox', id: 'mixnet-option' });
  // Under the composer, as the direct channel's line is above the messages.
  const mixnetStatus = el('p', {
    class: 'offline mixnet-status',
    role: 'status',
    'aria-label': 'Mixnet status',
  });
  mixnetOption.addEventListener('change', () => {
    const on = mixnetOption.checked;
    void app.setMixnet(on).catch((error) => {
      mixnetOption.checked = app.state.mixnet.on;
      app.notify('error', errorText(error));
    });
  });
  const mixnetControls = app.config.mixnet
    ? el(
        'span',
        { class: 'mixnet', style: 'align-self: center; white-space: nowrap; font-size: 0.85em' },
        mixnetOption,
        el('label', { for: 'mixnet-option' }, 'Send through the mixnet'),
      )
    : null;
  const offline = el('section', { class: 'offline', 'aria-label': 'Missed messages' });
  const notice = el('p', { class: 'notice', role: 'alert', hidden: true });
  const panelHost = el('div', {});
  const live = el(
    'details',
    { class: 'live' },
    el('summary', {}, 'Live panel: envelopes, drops, PoW, peers'),
    panelHost,
  );
  let panelOpened = false;
  live.addEventListener('toggle', () => {
    if (live.open && !panelOpened) {
      panelOpened = true;
      openPanel(panelHost);
    }
  });

  const element = el(
    'div',
    { class: 'shell' },
    el(
      'header',
      {},
      el('h1', {}, 'Hush'),
      el(
        'div',
        { class: 'who' },
        el('span', { id: 'public-key-label' }, 'Your public key: '),
        el(
          'output',
          { class: 'key', 'aria-label': 'Your public key', 'aria-live': 'off' },
          app.state.publicKey ?? '',
        ),
      ),
      status,
      el(
        'button',
        // Reads only the stored ciphertext: it need not wait for other actions.
        {
          type: 'button',
          onclick: () => void exportIdentity(app).catch((e) => app.notify('error', errorText(e))),
        },
        'Export identity',
      ),
      // Not behind `busy`: locking must work while a message is still sealing.
      el(
        'button',
        {
          type: 'button',
          onclick: () => void app.lock().catch((e) => app.notify('error', errorText(e))),
        },
        'Lock',
      ),
    ),
    el(
      'aside',
      {},
      el(
        'form',
        {
          onsubmit: (event) => {
            event.preventDefault();
            void busy(async () => {
              await app.joinChannel(channelName.value);
              channelName.value = '';
              text.focus();
            });
          },
        },
        el('label', { for: 'channel-name' }, 'Channel name'),
        channelName,
        el('button', { type: 'submit' }, 'Join channel'),
      ),
      el(
        'form',
        {
          onsubmit: (event) => {
            event.preventDefault();
            void busy(async () => {
              await app.addContact(contactKey.value);
              contactKey.value = '';
              text.focus();
            });
          },
        },
        el('label', { for: 'contact-key' }, 'Contact public key'),
        contactKey,
        el('button', { type: 'submit' }, 'Add contact'),
      ),
      el('h2', {}, 'Conversations'),
      conversations,
      offline,
    ),
    el(
      'main',
      {},
      title,
      notice,
      directLine,
      messages,
      sealing,
      el(
        'form',
        {
          class: 'composer',
          onsubmit: (event) => {
            event.preventDefault();
            const value = text.value;
            if (value.trim().length === 0) return;
            text.value = '';
            const target = Number(pow.value);
            // Sends run side by side (each with its own PoW and Cancel), never dropped while
            // another seals; a refused one gives its text back.
            void app.send(value, Number.isFinite(target) ? { pow: target } : {}).catch((error) => {
              if (text.value === '') text.value = value;
              app.notify('error', errorText(error));
            });
          },
        },
        el('label', { for: 'message', class: 'visually-hidden' }, 'Message'),
        text,
        el('label', { for: 'pow-target' }, 'PoW target'),
        pow,
        el(
          'span',
          { id: 'pow-help', class: 'visually-hidden' },
          `The node accepts ${app.config.minPow} or more; more work is slower to send and ranks higher.`,
        ),
        mixnetControls,
        send,
      ),
      app.config.mixnet ? mixnetStatus : null,
      live,
    ),
  );

  const rendered = new Map<string, { li: HTMLLIElement; key: string }>();
  const sealingRows = new Map<
    string,
    { element: HTMLElement; progress: HTMLProgressElement; elapsed: HTMLElement }
  >();
  let shownConversation: string | undefined;
  let shownConversations: string | undefined;
  let shownOffline: string | undefined;
  let shownCount = 0;

  function update(state: AppState): void {
    if (mixnetControls) {
      mixnetOption.checked = state.mixnet.on;
      mixnetStatus.dataset.phase = state.mixnet.status.phase;
      const shown = mixnetText(state.mixnet.status);
      if (mixnetStatus.textContent !== shown) mixnetStatus.textContent = shown;
    }
    status.className = `status ${state.connection}`;
    status.textContent =
      state.connection === 'connected'
        ? 'connected to the node'
        : state.connection === 'connecting'
          ? 'connecting…'
          : 'disconnected';

    // Rebuilt only when they changed: a button that keeps focus must not be replaced under it.
    const conversationsKey = JSON.stringify([
      state.active,
      state.conversations.map((c) => [c.id, c.name]),
    ]);
    if (conversationsKey !== shownConversations) {
      shownConversations = conversationsKey;
      replaceChildren(
        conversations,
        ...state.conversations.map((c) =>
          el(
            'li',
            {},
            el(
              'button',
              {
                type: 'button',
                'aria-current': c.id === state.active ? 'true' : 'false',
                onclick: () => app.select(c.id),
              },
              c.kind === 'channel' ? `#${c.name}` : c.name,
            ),
          ),
        ),
      );
    }

    const active = state.conversations.find((c) => c.id === state.active);
    title.textContent = active
      ? active.kind === 'channel'
        ? `#${active.name}`
        : `Chat with ${active.name}`
      : 'No conversation yet';
    // A conversation without a key (unsigned messages from nobody) cannot be written in.
    const writable =
      active !== undefined && (active.kind === 'channel' || active.publicKey !== undefined);
    send.disabled = !writable;
    text.disabled = !writable;
    const directState = active ? state.direct.get(active.id) : undefined;
    directLine.textContent =
      active?.kind === 'contact' && active.publicKey
        ? `Direct channel: ${directState ?? 'not open'}${active.inboxKey ? ' · inbox known' : ''}`
        : active?.kind === 'channel'
          ? 'Public channel: anyone who knows its name can read it.'
          : '';

    if (shownConversation !== state.active) {
      rendered.clear();
      replaceChildren(messages);
      shownConversation = state.active;
      shownCount = 0;
    }
    const list = (state.active ? state.messages.get(state.active) : undefined) ?? [];
    let previous: Element | null = null;
    for (const message of list) {
      const key = `${message.state}/${message.signature}/${message.detail ?? ''}/${message.powMs ?? ''}`;
      let entry = rendered.get(message.id);
      if (!entry || entry.key !== key) {
        const li = messageItem(message);
        if (entry) entry.li.replaceWith(li);
        entry = { li, key };
        rendered.set(message.id, entry);
      }
      const expected: Element | null = previous
        ? previous.nextElementSibling
        : messages.firstElementChild;
      if (expected !== entry.li) messages.insertBefore(entry.li, expected);
      previous = entry.li;
    }
    // Scrolled to the newest only when one came: a reader scrolled up is left where they are.
    if (list.length > shownCount) messages.lastElementChild?.scrollIntoView?.({ block: 'nearest' });
    shownCount = list.length;

    // Progress rows are kept, not rebuilt, so the Cancel button stays put under the pointer.
    for (const [id, row] of sealingRows) {
      if (!state.sealing.has(id)) {
        row.element.remove();
        sealingRows.delete(id);
      }
    }
    for (const [id, s] of state.sealing) {
      let row = sealingRows.get(id);
      if (!row) {
        const progress = el('progress', { id: `pow-${id}`, max: 1, value: 0 });
        const elapsed = el('span', {});
        row = {
          element: el(
            'div',
            { class: 'sealing' },
            el('label', { for: `pow-${id}` }, 'Proof of work'),
            progress,
            elapsed,
            el('button', { type: 'button', onclick: () => app.cancel(id) }, 'Cancel'),
          ),
          progress,
          elapsed,
        };
        sealingRows.set(id, row);
        sealing.append(row.element);
      }
      row.progress.value = s.fraction;
      row.elapsed.textContent = `${(s.elapsedMs / 1000).toFixed(1)} s`;
    }

    const offlineKey = JSON.stringify([...state.offline.values()]);
    if (offlineKey !== shownOffline) {
      shownOffline = offlineKey;
      replaceChildren(
        offline,
        state.offline.size > 0 ? el('h2', {}, 'Missed messages') : null,
        ...[...state.offline.values()].map((p) =>
          el(
            'div',
            {},
            el(
              'span',
              {},
              `${p.source === 'inbox' ? 'DHT inbox' : 'Mailserver'}: ${p.phase === 'running' ? 'fetching' : p.phase}, ${p.received} received${p.detail ? ` (${p.detail})` : ''}`,
            ),
            p.phase === 'running' ? el('progress', { 'aria-label': `${p.source} progress` }) : null,
          ),
        ),
      );
    }

    if (state.notice) {
      notice.hidden = false;
      notice.className = `notice ${state.notice.kind}`;
      notice.textContent = state.notice.text;
    } else notice.hidden = true;
  }

  return { element, update };
}
