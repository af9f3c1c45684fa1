/**
 * The RPC adapter: JSON-RPC 2.0 to a node over HTTP (`http://`, `https://`) or WebSocket
 * (`ws://`, `wss://`, with subscriptions), each call bounded by a timeout. An answer with an
 * `error` is an {@link RpcCallError} carrying its code and message; a node that cannot be
 * reached, hangs up or does not answer in time is an {@link Unreachable}, which the runner
 * reports as a crash.
 */
import WebSocket from 'ws';

/** A JSON-RPC error answer: the call reached the node, which refused it. */
export class RpcCallError extends Error {
  override readonly name = 'RpcCallError';
  readonly code: number;
  readonly data: unknown;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.code = code;
    this.data = data;
  }
}

/**
 * The node did not answer: connection refused or closed, or no answer within the timeout (its
 * message then says `no answer within N ms to <method>`).
 */
export class Unreachable extends Error {
  override readonly name = 'Unreachable';
}

/** A subscription's notifications (shh_subscribe over WebSocket). */
export interface Subscription {
  readonly id: string;
  /** The next notification's `result`; rejects with Unreachable after `timeoutMs` or a close. */
  next(timeoutMs: number): Promise<unknown>;
  /** The notifications received and not yet taken by `next`. */
  pending(): unknown[];
  /** Calls `<namespace>_unsubscribe` and answers its result. */
  unsubscribe(): Promise<unknown>;
}

/** What the RPC suite asks of a node. */
export interface RpcAdapter {
  readonly url: string;
  readonly transport: 'http' | 'ws';
  /** One call; resolves to its `result`. */
  call(method: string, params?: unknown[]): Promise<unknown>;
  /** A raw request body (any JSON), answered as the node's parsed response. */
  raw(body: unknown): Promise<unknown>;
  /**
   * A body sent as it is (not JSON, a batch, ids of any type), answered as the node's parsed
   * response; HTTP only (undefined over WebSocket, where answers are found by our ids).
   */
  readonly rawText?: (text: string) => Promise<unknown>;
  /** `<namespace>_subscribe`; WebSocket only (over HTTP it is an ordinary call that must fail). */
  subscribe(namespace: string, params: unknown[]): Promise<Subscription>;
  close(): Promise<void>;
}

export interface RpcAdapterOptions {
  /** Longest wait for one answer, ms (default 10 000). */
  readonly timeoutMs?: number;
  /**
   * The Origin of the WebSocket handshake (default `http://localhost`, what geth's Go client
   * sends, which geth v1.8.27 accepts with no --wsorigins); `''` sends none.
   */
  readonly origin?: string;
}

interface Response {
  id?: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
  method?: string;
  params?: { subscription?: string; result?: unknown };
}

/**
 * The answer's result, given the id its request carried: an answer with another id (a string
 * for our number, say) is the implementation's failure, on HTTP and WebSocket alike.
 */
function answer(response: Response, id: number): unknown {
  if (response.id !== id)
    throw new RpcCallError(
      0,
      `not a JSON-RPC answer to request ${id}: its id is ${JSON.stringify(response.id)}`,
    );
  if (response.error) {
    const { code, message, data } = response.error;
    throw new RpcCallError(code, message, data);
  }
  // An answer that is not JSON-RPC is the implementation's failure, not a crash: it answered.
  if (!('result' in response))
    throw new RpcCallError(0, 'not a JSON-RPC answer: it has neither result nor error');
  return response.result;
}

function unreachable(url: string, error: unknown, what?: string): Unreachable {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
  return new Unreachable(`${url}: ${why}${what ? ` (during ${what})` : ''}`);
}

/** What a request body is, for messages: its method, or "a raw body". */
function whatIs(body: unknown): string {
  const method = (body as { method?: unknown } | null)?.method;
  return typeof method === 'string' ? method : 'a raw body';
}

class HttpAdapter implements RpcAdapter {
  readonly transport = 'http';
  #id = 0;
  readonly url: string;
  readonly timeoutMs: number;
  constructor(url: string, timeoutMs: number) {
    this.url = url;
    this.timeoutMs = timeoutMs;
  }

  async raw(body: unknown): Promise<unknown> {
    return this.#post(JSON.stringify(body), whatIs(body));
  }

  readonly rawText = (body: string): Promise<unknown> => this.#post(body, 'a raw body');

  /** POSTs `body`; `what` names it in the timeout's message (a method, or "a raw body"). */
  async #post(body: string, what: string): Promise<unknown> {
    let response: globalThis.Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      if ((error as Error).name === 'TimeoutError')
        throw new Unreachable(`${this.url}: no answer within ${this.timeoutMs} ms to ${what}`);
      throw unreachable(this.url, error, what);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      if ((error as Error).name === 'TimeoutError')
        throw new Unreachable(`${this.url}: no answer within ${this.timeoutMs} ms to ${what}`);
      throw unreachable(this.url, error, what);
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new RpcCallError(0, `HTTP ${response.status}: not JSON: ${text.slice(0, 200)}`);
    }
  }

  async call(method: string, params: unknown[] = []): Promise<unknown> {
    const id = ++this.#id;
    const response = (await this.raw({ jsonrpc: '2.0', id, method, params })) as
      | Response
      | undefined;
    if (typeof response !== 'object' || response === null)
      throw new RpcCallError(0, `not a JSON-RPC response: ${JSON.stringify(response)}`);
    return answer(response, id);
  }

  async subscribe(namespace: string, params: unknown[]): Promise<Subscription> {
    // Over HTTP a node must refuse: the call is made so that its error is seen.
    const id = await this.call(`${namespace}_subscribe`, params);
    throw new RpcCallError(0, `${namespace}_subscribe over HTTP answered ${JSON.stringify(id)}`);
  }

  async close(): Promise<void> {}
}

class WsAdapter implements RpcAdapter {
  readonly transport = 'ws';
  #id = 0;
  #socket: WebSocket | undefined;
  /**
   * The connection being opened: every call made before it is open waits on this one promise,
   * so that they share one connection (a second `new WebSocket` per call, or a send on a
   * socket still connecting, is what this prevents).
   */
  #opening: Promise<WebSocket> | undefined;
  #closed: Unreachable | undefined;
  readonly #pending = new Map<
    number,
    { resolve: (r: Response) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  /** Notifications by subscription id, and who waits for one. */
  readonly #notes = new Map<string, unknown[]>();
  readonly #waiters = new Map<string, (value: unknown) => void>();

  readonly url: string;
  readonly timeoutMs: number;
  readonly origin: string;
  constructor(url: string, timeoutMs: number, origin: string) {
    this.url = url;
    this.timeoutMs = timeoutMs;
    this.origin = origin;
  }

  #open(): Promise<WebSocket> {
    if (this.#closed) return Promise.reject(this.#closed);
    this.#opening ??= this.#connect().catch((error: Error) => {
      // A refused handshake is tried again by the next call; an Unreachable has failed the
      // adapter for good (#fail), so the next call gets it at once.
      this.#opening = undefined;
      throw error;
    });
    return this.#opening;
  }

  async #connect(): Promise<WebSocket> {
    const socket = new WebSocket(this.url, {
      handshakeTimeout: this.timeoutMs,
      ...(this.origin ? { origin: this.origin } : {}),
    });
    this.#socket = socket;
    // Listening before the open event: nothing the node sends once open is missed.
    socket.on('message', (data) => this.#receive(String(data)));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      // A node that answers the handshake with an HTTP status is up but refuses us: not a
      // crash, every call fails with it.
      socket.once('unexpected-response', (_request, response) =>
        reject(
          new RpcCallError(
            0,
            `WebSocket handshake refused: HTTP ${response.statusCode} (an Origin the node allows? --origin)`,
          ),
        ),
      );
      socket.once('error', (error) => reject(unreachable(this.url, error)));
    }).catch((error: Error) => {
      this.#socket = undefined;
      socket.removeAllListeners('message');
      socket.on('error', () => {});
      socket.terminate();
      if (error instanceof Unreachable) this.#fail(error);
      throw error;
    });
    // The suite closed the adapter while the handshake was under way.
    if (this.#closed) {
      socket.terminate();
      throw this.#closed;
    }
    socket.on('close', () => this.#fail(new Unreachable(`${this.url}: connection closed`)));
    socket.on('error', (error) => this.#fail(unreachable(this.url, error)));
    return socket;
  }

  #fail(error: Unreachable) {
    this.#closed ??= error;
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(error);
      this.#pending.delete(id);
    }
    for (const [id, waiter] of this.#waiters) {
      this.#waiters.delete(id);
      waiter(error);
    }
  }

  #receive(text: string) {
    let message: Response;
    try {
      message = JSON.parse(text) as Response;
    } catch {
      return;
    }
    if (message.method?.endsWith('_subscription') && message.params?.subscription) {
      const sub = message.params.subscription;
      const waiter = this.#waiters.get(sub);
      if (waiter) {
        this.#waiters.delete(sub);
        waiter(message.params.result);
      } else {
        const queue = this.#notes.get(sub) ?? [];
        queue.push(message.params.result);
        this.#notes.set(sub, queue);
      }
      return;
    }
    // An id given back as a string ("7" for 7) still finds its request, whose answer then
    // fails on the id instead of timing out as if the node were gone.
    const key =
      typeof message.id === 'number'
        ? message.id
        : typeof message.id === 'string' && /^\d{1,15}$/.test(message.id)
          ? Number(message.id)
          : undefined;
    const pending = key === undefined ? undefined : this.#pending.get(key);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.#pending.delete(key!);
    pending.resolve(message);
  }

  async #request(body: Record<string, unknown> & { id: number }): Promise<Response> {
    const socket = await this.#open();
    // The connection may have closed while this call waited for it to open.
    if (this.#closed) throw this.#closed;
    return new Promise<Response>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(body.id);
        reject(
          new Unreachable(`${this.url}: no answer within ${this.timeoutMs} ms to ${whatIs(body)}`),
        );
      }, this.timeoutMs);
      this.#pending.set(body.id, { resolve, reject, timer });
      socket.send(JSON.stringify(body), (error) => {
        if (error) this.#fail(unreachable(this.url, error, whatIs(body)));
      });
    });
  }

  async raw(body: unknown): Promise<unknown> {
    // Raw bodies carry their own ids; they are given one of ours so the answer is found.
    const id = ++this.#id;
    return this.#request({ ...(body as Record<string, unknown>), id });
  }

  async call(method: string, params: unknown[] = []): Promise<unknown> {
    const id = ++this.#id;
    return answer(await this.#request({ jsonrpc: '2.0', id, method, params }), id);
  }

  async subscribe(namespace: string, params: unknown[]): Promise<Subscription> {
    const id = await this.call(`${namespace}_subscribe`, params);
    if (typeof id !== 'string')
      throw new RpcCallError(0, `subscription id is not a string: ${JSON.stringify(id)}`);
    return {
      id,
      next: (timeoutMs) => {
        const queue = this.#notes.get(id);
        if (queue && queue.length > 0) return Promise.resolve(queue.shift());
        if (this.#closed) return Promise.reject(this.#closed);
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => {
            this.#waiters.delete(id);
            reject(new Error(`no notification within ${timeoutMs} ms`));
          }, timeoutMs);
          this.#waiters.set(id, (value) => {
            clearTimeout(timer);
            if (value instanceof Unreachable) reject(value);
            else resolve(value);
          });
        });
      },
      pending: () => this.#notes.get(id)?.splice(0) ?? [],
      unsubscribe: () => this.call(`${namespace}_unsubscribe`, [id]),
    };
  }

  async close(): Promise<void> {
    const socket = this.#socket;
    this.#closed ??= new Unreachable(`${this.url}: closed by the suite`);
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.close();
      setTimeout(() => {
        socket.terminate();
        resolve();
      }, 1000).unref();
    });
  }
}

/**
 * An adapter for `url`.
 *
 * @throws TypeError for a URL that is neither http(s):// nor ws(s)://
 */
export function rpcAdapter(url: string, options: RpcAdapterOptions = {}): RpcAdapter {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const scheme = new URL(url).protocol;
  if (scheme === 'http:' || scheme === 'https:') return new HttpAdapter(url, timeoutMs);
  if (scheme === 'ws:' || scheme === 'wss:')
    return new WsAdapter(url, timeoutMs, options.origin ?? 'http://localhost');
  throw new TypeError(`${url}: the RPC adapter speaks http://, https://, ws:// or wss://`);
}
