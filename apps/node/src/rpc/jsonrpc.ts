/**
 * JSON-RPC 2.0 (https://www.jsonrpc.org/specification) as geth speaks it: positional params,
 * batches, and geth's error codes. Transport-free: the HTTP and WebSocket servers hand it
 * parsed bodies.
 */

/** A JSON-RPC error with its code (-32602 for bad params, -32000 for a refused operation). */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  readonly code: number;

  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

/** What a method sees of the call. */
export interface CallContext {
  /** Present on connections that can receive notifications (WebSocket). */
  readonly notify?: (method: string, params: unknown) => void;
  /** Called when the connection ends, to release what the call created. */
  readonly onClose?: (cleanup: () => void) => void;
  /** Aborted when the caller goes away: work done for it alone (a seal) stops. */
  readonly signal?: AbortSignal;
  /** Who calls (a WebSocket connection, or an HTTP client's address), for per-client bounds. */
  readonly client?: string;
}

export type Method = (params: unknown[], context: CallContext) => unknown;

interface Response {
  jsonrpc: '2.0';
  id: unknown;
  result?: unknown;
  error?: { code: number; message: string };
}

const failure = (id: unknown, code: number, message: string): Response => ({
  jsonrpc: '2.0',
  id,
  error: { code, message },
});

/** Dispatches requests to methods. */
export class JsonRpcDispatcher {
  private readonly methods: ReadonlyMap<string, Method>;
  private readonly maxBatch: number;

  constructor(methods: Record<string, Method>, options: { maxBatch?: number } = {}) {
    this.methods = new Map(Object.entries(methods));
    this.maxBatch = options.maxBatch ?? 100;
  }

  /** Whether the dispatcher knows `method`. */
  has(method: string): boolean {
    return this.methods.has(method);
  }

  private async one(request: unknown, context: CallContext): Promise<Response | undefined> {
    if (typeof request !== 'object' || request === null || Array.isArray(request)) {
      return failure(null, -32600, 'invalid request');
    }
    const { jsonrpc, method, params, id } = request as Record<string, unknown>;
    const isNotification = !('id' in (request as object));
    // JSON-RPC ids are strings, numbers or null; anything else is not echoed back.
    if (!isNotification && id !== null && typeof id !== 'string' && typeof id !== 'number')
      return failure(null, -32600, 'invalid request id');
    if (jsonrpc !== '2.0' || typeof method !== 'string')
      return failure(id ?? null, -32600, 'invalid request');
    // JSON-RPC 2.0 lets a request omit `params`; geth's Go client omits them for methods
    // without arguments, and Go marshals an empty argument list as null.
    if (params !== undefined && params !== null && !Array.isArray(params)) {
      return failure(id ?? null, -32602, 'non-array args');
    }
    const handler = this.methods.get(method);
    if (!handler) {
      return isNotification
        ? undefined
        : failure(
            id,
            -32601,
            // A name is echoed back at most 64 characters long: a 5 MiB method name is not.
            `the method ${method.length > 64 ? `${method.slice(0, 64)}…` : method} does not exist/is not available`,
          );
    }
    try {
      const result = await handler((params as unknown[] | null | undefined) ?? [], context);
      return isNotification ? undefined : { jsonrpc: '2.0', id, result: result ?? null };
    } catch (error) {
      if (isNotification) return undefined;
      if (error instanceof RpcError) return failure(id, error.code, error.message);
      return failure(id, -32000, error instanceof Error ? error.message : String(error));
    }
  }

  /**
   * Handles a parsed request body: one request or a batch.
   *
   * @returns the response, the responses of a batch, or undefined when nothing is owed
   */
  async handle(
    body: unknown,
    context: CallContext = {},
  ): Promise<Response | Response[] | undefined> {
    if (Array.isArray(body)) {
      if (body.length === 0) return failure(null, -32600, 'empty batch');
      if (body.length > this.maxBatch)
        return failure(null, -32600, `batch of more than ${this.maxBatch} requests`);
      const responses = (await Promise.all(body.map((r) => this.one(r, context)))).filter(
        (r) => r !== undefined,
      );
      return responses.length > 0 ? responses : undefined;
    }
    return this.one(body, context);
  }

  /** The response to a body that is not JSON. */
  static parseError(): Response {
    return failure(null, -32700, 'parse error');
  }
}
