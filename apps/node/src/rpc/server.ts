/**
 * JSON-RPC over HTTP (fastify) and WebSocket (ws), on separate ports as geth (8545, 8546).
 * Security: the Host header must be an allowed virtual host (stops DNS rebinding); a request
 * carrying a browser Origin must come from an allowed origin (a web page must not reach the
 * node's keys); with a token set, every request needs `Authorization: Bearer <token>` (or
 * `?token=` on WebSocket). Bodies and batches are bounded.
 */
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer } from 'node:http';
import { hostname } from 'node:os';
import type { Logger } from '@hush/interface';
import Fastify, { type FastifyInstance } from 'fastify';
import { WebSocketServer } from 'ws';
import { hostAllowed, type RpcSecurity, tokenAllowed } from './guards.js';
import { JsonRpcDispatcher } from './jsonrpc.js';

export type { RpcSecurity } from './guards.js';

/** Largest request body, bytes. */
const BODY_LIMIT = 5 * 1024 * 1024;
/** Bytes a WebSocket client may leave unread before it is dropped. */
const SEND_BACKLOG_LIMIT = 16 * 1024 * 1024;

/**
 * The origins a WebSocket upgrade may carry when none are configured, as geth's
 * `wsHandshakeValidator` (rpc/websocket.go) allows them: `http://localhost` and
 * `http://<this host's name>`. geth's own Go client (`rpc.DialWebsocket`) sends the latter.
 */
export function defaultWebSocketOrigins(): string[] {
  const origins = ['http://localhost'];
  const name = hostname().toLowerCase();
  if (name) origins.push(`http://${name}`);
  return origins;
}

/**
 * The browser origins a port admits, lowercased (geth compares them case-insensitively), or
 * 'any' for `*`. With none configured, plain HTTP admits none, and WebSocket admits geth's
 * defaults (`defaultWebSocketOrigins`). Decided once, when the servers start.
 */
function admittedOrigins(security: RpcSecurity, webSocket: boolean): ReadonlySet<string> | 'any' {
  const configured = security.origins.map((o) => o.toLowerCase());
  if (configured.includes('*')) return 'any';
  return new Set(configured.length === 0 && webSocket ? defaultWebSocketOrigins() : configured);
}

/** Whether a request's Origin may call. Programs send none and pass. */
function originAllowed(headers: IncomingHttpHeaders, admitted: ReadonlySet<string> | 'any') {
  const origin = headers.origin;
  if (origin === undefined) return true; // programs, not browsers
  return admitted === 'any' || admitted.has(origin.toLowerCase());
}

/** The running RPC servers. */
export interface RpcServers {
  readonly httpUrl: string;
  readonly wsUrl: string;
  close(): Promise<void>;
}

/**
 * Starts the HTTP and WebSocket servers.
 *
 * @throws if a port cannot be bound
 */
export async function startRpcServers(
  dispatcher: JsonRpcDispatcher,
  options: {
    host: string;
    httpPort: number;
    wsPort: number;
    security: RpcSecurity;
    logger: Logger;
  },
): Promise<RpcServers> {
  const { security } = options;
  const httpOrigins = admittedOrigins(security, false);
  const wsOrigins = admittedOrigins(security, true);
  const http: FastifyInstance = Fastify({ bodyLimit: BODY_LIMIT, logger: false });
  http.addHook('onRequest', async (request, reply) => {
    if (!hostAllowed(request.headers, security))
      return reply.code(403).send('invalid host specified\n');
    if (!originAllowed(request.headers, httpOrigins))
      return reply.code(403).send('origin not allowed\n');
    const origin = request.headers.origin;
    if (origin) {
      reply.header('access-control-allow-origin', origin);
      reply.header('vary', 'origin');
    }
    if (request.method === 'OPTIONS') {
      reply.header('access-control-allow-methods', 'POST, GET, OPTIONS');
      reply.header('access-control-allow-headers', 'content-type, authorization');
      return reply.code(204).send();
    }
    if (!tokenAllowed(request.headers, request.url, security))
      return reply.code(401).send('missing or wrong token\n');
    return undefined;
  });
  http.removeAllContentTypeParsers();
  http.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  http.post('/', async (request, reply) => {
    let body: unknown;
    try {
      body = JSON.parse(request.body as string);
    } catch {
      return reply.send(JsonRpcDispatcher.parseError());
    }
    // A client that hangs up before its answer cancels what its call started (a seal).
    const gone = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) gone.abort(new Error('the client went away'));
    });
    const response = await dispatcher.handle(body, {
      signal: gone.signal,
      client: `http:${request.ip}`,
    });
    return response === undefined ? reply.code(200).send('') : reply.send(response);
  });
  await http.listen({ host: options.host, port: options.httpPort });
  const httpPort = (http.server.address() as { port: number }).port;

  const wsHttp: Server = createServer((_request, response) => response.writeHead(426).end());
  const wss = new WebSocketServer({
    server: wsHttp,
    maxPayload: BODY_LIMIT,
    verifyClient: ({ req }, done) => {
      if (!hostAllowed(req.headers, security)) return done(false, 403, 'invalid host specified');
      if (!originAllowed(req.headers, wsOrigins)) return done(false, 403, 'origin not allowed');
      if (!tokenAllowed(req.headers, req.url, security))
        return done(false, 401, 'missing or wrong token');
      return done(true);
    },
  });
  let connections = 0;
  wss.on('connection', (socket) => {
    const cleanups: (() => void)[] = [];
    const client = `ws:${++connections}`;
    const closed = new AbortController();
    // A client that does not read its socket is dropped before its backlog grows past
    // SEND_BACKLOG_LIMIT (as geth drops slow subscribers), and an answer that cannot be
    // serialised is replaced by an internal error rather than thrown out of the listener.
    const send = (message: unknown) => {
      if (socket.readyState !== socket.OPEN) return;
      if (socket.bufferedAmount > SEND_BACKLOG_LIMIT) {
        socket.terminate();
        return;
      }
      let text: string;
      try {
        text = JSON.stringify(message);
      } catch {
        text = JSON.stringify({
          jsonrpc: '2.0',
          id: null,
          error: { code: -32603, message: 'response could not be serialised' },
        });
      }
      socket.send(text);
    };
    const notify = (method: string, params: unknown) => send({ jsonrpc: '2.0', method, params });
    socket.on('message', (data) => {
      let body: unknown;
      try {
        body = JSON.parse(data.toString());
      } catch {
        send(JsonRpcDispatcher.parseError());
        return;
      }
      dispatcher
        .handle(body, {
          notify,
          onClose: (cleanup) => cleanups.push(cleanup),
          signal: closed.signal,
          client,
        })
        .then((response) => {
          if (response !== undefined) send(response);
        })
        .catch(() =>
          send({ jsonrpc: '2.0', id: null, error: { code: -32603, message: 'internal error' } }),
        );
    });
    socket.on('close', () => {
      closed.abort(new Error('the client went away'));
      for (const cleanup of cleanups.splice(0)) cleanup();
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve, reject) => {
    wsHttp.once('error', reject);
    wsHttp.listen(options.wsPort, options.host, resolve);
  });
  const wsPort = (wsHttp.address() as { port: number }).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  options.logger.info({ http: httpPort, ws: wsPort, host: options.host }, 'JSON-RPC listening');
  return {
    httpUrl: `http://${host}:${httpPort}`,
    wsUrl: `ws://${host}:${wsPort}`,
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => wsHttp.close(() => resolve()));
      await http.close();
    },
  };
}
