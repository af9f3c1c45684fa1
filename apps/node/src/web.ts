/**
 * The browser app's HTTP server (`--web-port`): the built `@hush/web` files, which Vite writes
 * into `apps/node/web/`, and `/hush-web.json`, the document that tells the page where to
 * connect (the node's gossip, DHT, mailserver and relay addresses, and its mixnet's network
 * file and exit; no key of the node). With `--mixnet` it also serves the signed directory
 * documents the node holds (`/mixnet/documents/<epoch>`), exactly as the authorities signed
 * them: the page checks their signatures itself and needs no CORS from the authorities. The
 * page runs its own light Whisper peer and makes no JSON-RPC call, so this server reaches
 * nothing else of the node's state; it keeps the RPC's Host rule (DNS rebinding) and sends a
 * strict Content-Security-Policy and isolation headers on every answer.
 */
import { createReadStream, existsSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { formatDhtAddress, parseDhtAddress } from '@hush/inbox-dht';
import { HushError, type Logger, silentLogger } from '@hush/interface';
import { encodeNetworkConfig, type SignedDirectory } from '@hush/mixnet-sphinx';
import type { GossipNode } from '@hush/transport-gossip';
import type { NodeConfig } from './config.js';
import type { WhisperMixnet } from './mixnet/whisper-mixnet.js';
import { hostAllowed, type RpcSecurity } from './rpc/guards.js';

/**
 * Where the built app lives: `apps/node/web/`, the same relative path from `src/` (run from
 * source) and `dist/` (the published package, whose `files` include `web/`).
 */
export const DEFAULT_WEB_ROOT: string = fileURLToPath(new URL('../web/', import.meta.url));

/** The path the page fetches to learn where to connect. */
export const WEB_CONNECT_PATH = '/hush-web.json';

/** Where the page reads the signed directory of an epoch: `/mixnet/documents/<epoch>`. */
export const WEB_MIXNET_DOCUMENTS_PATH = '/mixnet/documents/';
const MIXNET_DOCUMENT = /^\/mixnet\/documents\/(0|[1-9][0-9]{0,14})$/;

/** What to run when the app is not built (the 503 of `/` and the start-up warning say it). */
export const WEB_BUILD_COMMAND = 'pnpm --filter @hush/web build';

/**
 * The page may run only its own scripts and WebAssembly (the PoW kernel: 'wasm-unsafe-eval'),
 * start workers from itself or blobs, open WebSockets (the node's listeners are on other
 * ports) and be framed by nobody.
 */
export const WEB_CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; connect-src 'self' ws: wss:; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** Headers every answer carries, errors included. */
const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ['content-security-policy', WEB_CONTENT_SECURITY_POLICY],
  ['x-content-type-options', 'nosniff'],
  ['referrer-policy', 'no-referrer'],
  ['cross-origin-opener-policy', 'same-origin'],
  // No other site may embed the app's files (scripts, WebAssembly, /hush-web.json) cross-origin.
  ['cross-origin-resource-policy', 'same-origin'],
];

/** Content types by extension; anything else is served as bytes (nosniff keeps it so). */
const MIME_TYPES: ReadonlyMap<string, string> = new Map([
  ['.html', 'text/html; charset=utf-8'],
  ['.js', 'text/javascript; charset=utf-8'],
  ['.mjs', 'text/javascript; charset=utf-8'],
  ['.css', 'text/css; charset=utf-8'],
  ['.json', 'application/json; charset=utf-8'],
  ['.map', 'application/json; charset=utf-8'],
  ['.webmanifest', 'application/manifest+json; charset=utf-8'],
  ['.txt', 'text/plain; charset=utf-8'],
  ['.wasm', 'application/wasm'],
  ['.svg', 'image/svg+xml'],
  ['.png', 'image/png'],
  ['.jpg', 'image/jpeg'],
  ['.jpeg', 'image/jpeg'],
  ['.gif', 'image/gif'],
  ['.webp', 'image/webp'],
  ['.ico', 'image/x-icon'],
  ['.woff', 'font/woff'],
  ['.woff2', 'font/woff2'],
]);

/** Vite names what it writes under assets/ by content hash: such a URL never changes content. */
const ASSET_CACHE = 'public, max-age=31536000, immutable';
/** Everything else (index.html above all) is checked again on every load, to pick up a rebuild. */
const REVALIDATE = 'no-cache';

/** The document at `/hush-web.json`: where the page connects. Nothing in it is a key. */
export interface WebConnectInfo {
  readonly version: 1;
  /** The gossip listener with its Noise static key: `ws://host:port#<64 hex>`. */
  readonly gossip: string;
  /** The node's gossip (secp256k1) public key, `0x04` and 128 hex digits. */
  readonly gossipPublicKey: string;
  /** The PoW the node requires of envelopes. */
  readonly minPow: number;
  /** The largest envelope the node accepts, bytes. */
  readonly maxMessageSize: number;
  /** The node's DHT address, `<128 hex>@ws://host:port`, or null with --no-dht. */
  readonly dht: string | null;
  /** The node as a mailserver (peer key and request password), or null without --mailserver. */
  readonly mailserver: { readonly peer: string; readonly password: string } | null;
  /** A relay for direct channels (`ws://…/hush-relay/1`): the node's own, or --relay; or null. */
  readonly relay: string | null;
  /** STUN servers for WebRTC (--stun). */
  readonly stun: readonly string[];
  /**
   * The mixnet the page may send through (--mixnet, with an exit: --mixnet-exit or
   * --mixnet-exit-via), or null. Absent in a document of a node older than the field: null.
   */
  readonly mixnet?: WebMixnetInfo | null;
}

/** The mixnet part of `/hush-web.json`. */
export interface WebMixnetInfo {
  /** The network file (`encodeNetworkConfig`): authorities, threshold, geometry, rates. */
  readonly network: Record<string, unknown>;
  /** The exit's mixnet address, `<queue id>@<gateway id>`: it injects envelopes into gossip. */
  readonly exit: string;
}

/** Why the web server could not start or describe the node. */
export type WebServerErrorCode = 'listen' | 'no-gossip-address';

/** A failure of the web server; `code` says which, `cause` holds a bind error. */
export class WebServerError extends HushError<WebServerErrorCode> {
  override readonly name = 'WebServerError';
}

/**
 * The connect document of a running node. The mailserver password is there on purpose: it
 * is no key of the node but what a client must know to ask the mailserver (Status's default
 * is public), and the page cannot ask the node for it without RPC.
 *
 * @throws WebServerError 'no-gossip-address' when the gossip node listens nowhere
 */
export function webConnectInfo(parts: {
  readonly gossip: Pick<GossipNode, 'id' | 'linkAddresses'>;
  readonly config: Pick<
    NodeConfig,
    'minPow' | 'maxMessageSize' | 'mailserver' | 'mailserverPassword' | 'relay' | 'stun'
  >;
  /** The node's DHT address, when it runs the DHT. */
  readonly dhtAddress: string | undefined;
  /** The relay the node serves (--relay-port), if any. */
  readonly servedRelay: string | undefined;
  /** The node's mixnet client (--mixnet), if any: offered only when it has an exit. */
  readonly mixnet?: Pick<WhisperMixnet, 'network' | 'exitAddress'> | undefined;
}): WebConnectInfo {
  const { gossip, config } = parts;
  const address = gossip.linkAddresses[0];
  if (address === undefined)
    throw new WebServerError('no-gossip-address', 'the gossip node has no listening address');
  const publicKey = `0x${gossip.id}`;
  return {
    version: 1,
    gossip: address,
    gossipPublicKey: publicKey,
    minPow: config.minPow,
    maxMessageSize: config.maxMessageSize,
    dht: parts.dhtAddress ?? null,
    mailserver: config.mailserver ? { peer: publicKey, password: config.mailserverPassword } : null,
    relay: parts.servedRelay ?? config.relay ?? null,
    stun: [...config.stun],
    mixnet: mixnetInfo(parts.mixnet),
  };
}

/** The `mixnet` field: the network file and the exit, or null without an exit to send to. */
function mixnetInfo(
  mixnet: Pick<WhisperMixnet, 'network' | 'exitAddress'> | undefined,
): WebMixnetInfo | null {
  const exit = mixnet?.exitAddress;
  if (!mixnet || exit === undefined) return null;
  return { network: encodeNetworkConfig(mixnet.network), exit };
}

/** Loopback addresses: the page is a secure context there over plain http (WebCrypto works). */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * Whether a bind host is loopback only (`localhost`, `*.localhost`, 127.0.0.0/8, `::1`): the
 * only hosts where a browser treats a plain-http page as a secure context. A wildcard
 * (0.0.0.0, ::) or any other interface is reached from elsewhere, where it is not.
 */
export function isLoopbackHost(host: string): boolean {
  const name = (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host)
    .toLowerCase()
    .replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  const family = isIP(name);
  if (family === 4) return LOOPBACK.check(name, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(name)?.[1];
    return mapped ? LOOPBACK.check(mapped, 'ipv4') : LOOPBACK.check(name, 'ipv6');
  }
  return false;
}

/** `ws://host…` split at its host, or undefined when `address` does not start so. */
const WS_AUTHORITY = /^(wss?:\/\/)(\[[^\]/]*\]|[^/:#?[\]]*)(.*)$/s;

/** Whether a URL host is a wildcard address (0.0.0.0, ::, in any spelling). */
function isWildcard(host: string): boolean {
  try {
    const { hostname } = new URL(`ws://${host}`);
    return hostname === '0.0.0.0' || hostname === '[::]';
  } catch {
    return false;
  }
}

/**
 * `address` (`ws://host:port…`) with a wildcard host replaced by `host`; anything else as it
 * is. A node listening on 0.0.0.0 or :: writes that in its addresses, which a browser
 * elsewhere cannot dial; the name it reached the web server by can.
 */
export function dialableAddress(address: string, host: string): string {
  const parts = WS_AUTHORITY.exec(address);
  if (!parts || !isWildcard(parts[2]!)) return address;
  return `${parts[1]}${host}${parts[3]}`;
}

/** The DHT address `<128 hex>@ws://…` with its ws:// part as `dialableAddress` makes it. */
function dialableDhtAddress(address: string, host: string): string {
  const { peer, endpoint } = parseDhtAddress(address);
  return formatDhtAddress(peer, dialableAddress(endpoint, host));
}

/**
 * The host name of a Host header as it may go into a ws:// URL (an IPv6 address in its
 * brackets), or undefined when there is none or it is no plain host name or IP address.
 */
function requestHostname(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const bracketed = /^(\[[0-9a-f:.]+\])(?::\d*)?$/i.exec(header)?.[1];
  if (bracketed) return isIP(bracketed.slice(1, -1)) === 6 ? bracketed.toLowerCase() : undefined;
  const name = /^([a-z0-9_.-]+)(?::\d*)?$/i.exec(header)?.[1];
  // Neither empty nor only dots, nor itself a wildcard.
  if (!name || !/[a-z0-9]/i.test(name) || isWildcard(name)) return undefined;
  return name.toLowerCase();
}

/**
 * The connect document for one request: a wildcard host in the gossip, DHT and served relay
 * addresses becomes the host name the request was sent to (its Host header, which the Host
 * rule has let through), so that a browser on another machine can dial them.
 */
export function connectInfoForHost(
  info: WebConnectInfo,
  hostHeader: string | undefined,
): WebConnectInfo {
  const host = requestHostname(hostHeader);
  if (host === undefined) return info;
  return {
    ...info,
    gossip: dialableAddress(info.gossip, host),
    dht: info.dht === null ? null : dialableDhtAddress(info.dht, host),
    relay: info.relay === null ? null : dialableAddress(info.relay, host),
  };
}

/** Options of `startWebServer`. */
export interface WebServerOptions {
  /** The interface to bind: the RPC's (--rpc-host). */
  readonly host: string;
  /** The port (0: any free port). */
  readonly port: number;
  /** What `/hush-web.json` answers. */
  readonly connect: WebConnectInfo;
  /** Host header values accepted (--rpc-vhosts), as on every listener of the node. */
  readonly vhosts: readonly string[];
  /** The directory of the built app; `DEFAULT_WEB_ROOT` unless a test gives its own. */
  readonly webRoot?: string;
  /** The node's mixnet client: the signed directories `/mixnet/documents/<epoch>` serves. */
  readonly mixnet?: Pick<WhisperMixnet, 'signedDocument'> | undefined;
  readonly logger?: Logger;
}

/** A running web server. */
export interface WebServer {
  /** The page's address, `http://host:port/`. */
  readonly url: string;
  /** The directory it serves. */
  readonly root: string;
  /** Whether the built app is there now (its index.html). */
  readonly built: boolean;
  close(): Promise<void>;
}

/**
 * The absolute path a request target names, decoded, or undefined when it must be refused:
 * not origin-form, badly encoded, or reaching out of the directory (a `.` or `..` segment,
 * encoded or not, a backslash, a NUL).
 */
function requestPath(target: string | undefined): string | undefined {
  if (target === undefined || !target.startsWith('/')) return undefined;
  const raw = target.replace(/[?#].*$/s, '');
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (path.includes('\\') || path.includes('\0')) return undefined;
  if (path.split('/').some((segment) => segment === '.' || segment === '..')) return undefined;
  return path;
}

/** A signed directory as the authorities serve it: `{document, signatures}`, nothing else. */
function signedJson(signed: SignedDirectory): SignedDirectory {
  return {
    document: signed.document,
    signatures: signed.signatures.map((s) => ({ authority: s.authority, signature: s.signature })),
  };
}

function plain(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
  });
  response.end(text);
}

/**
 * Starts the web server. A missing build does not stop it: it logs a warning, and `/` answers
 * 503 saying how to build until the files are there (each request looks, so a build made
 * while the node runs is served without a restart).
 *
 * @throws WebServerError 'listen' when the port cannot be bound (the bind error in `cause`)
 */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const root = resolve(options.webRoot ?? DEFAULT_WEB_ROOT);
  const logger = options.logger ?? silentLogger;
  const security: RpcSecurity = { vhosts: options.vhosts, origins: [], token: undefined };
  const connectBody = (hostHeader: string | undefined): string =>
    `${JSON.stringify(connectInfoForHost(options.connect, hostHeader))}\n`;
  const index = join(root, 'index.html');
  const notBuilt = `The Hush browser app is not built: ${index} is missing.\nBuild it with \`${WEB_BUILD_COMMAND}\` in the repository (\`npm start\` does it by itself), then reload.\n`;

  /** Serves one file of the build, or answers 404; `path` is already checked. */
  const serveFile = async (
    request: IncomingMessage,
    response: ServerResponse,
    path: string,
  ): Promise<void> => {
    const relative = path === '/' ? 'index.html' : path.slice(1);
    const isIndex = relative === 'index.html';
    // Dotfiles (an editor's leftovers, .DS_Store) are never part of the app.
    if (relative.split('/').some((segment) => segment.startsWith('.')))
      return plain(response, 404, 'not found\n');
    const file = resolve(root, relative);
    if (!file.startsWith(root + sep)) return plain(response, 404, 'not found\n');
    let info: Awaited<ReturnType<typeof stat>>;
    let real: string;
    try {
      info = await stat(file);
      // A symbolic link out of the build is not served.
      real = await realpath(file);
      const realRoot = await realpath(root);
      if (!real.startsWith(realRoot + sep)) return plain(response, 404, 'not found\n');
    } catch {
      if (isIndex) return plain(response, 503, notBuilt);
      return plain(response, 404, 'not found\n');
    }
    if (!info.isFile()) return plain(response, 404, 'not found\n');
    const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    const headers = {
      'content-type': MIME_TYPES.get(extname(file).toLowerCase()) ?? 'application/octet-stream',
      'cache-control': relative.startsWith('assets/') ? ASSET_CACHE : REVALIDATE,
      etag,
    };
    if (request.headers['if-none-match'] === etag)
      return void response.writeHead(304, headers).end();
    response.writeHead(200, { ...headers, 'content-length': info.size });
    if (request.method === 'HEAD') return void response.end();
    // pipeline closes the file when the client goes away mid-answer (and ends the answer when
    // the file cannot be read): either way the promise settles and no descriptor is left open.
    try {
      await pipeline(createReadStream(real), response);
    } catch {
      response.destroy();
    }
  };

  const serve = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    for (const [name, value] of SECURITY_HEADERS) response.setHeader(name, value);
    if (!hostAllowed(request.headers, security))
      return plain(response, 403, 'invalid host specified\n');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      return plain(response, 405, 'only GET and HEAD\n');
    }
    const path = requestPath(request.url);
    if (path === undefined) return plain(response, 400, 'bad request target\n');
    if (path === WEB_CONNECT_PATH) {
      const body = connectBody(request.headers.host);
      response.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        'content-length': Buffer.byteLength(body),
      });
      return void response.end(request.method === 'HEAD' ? undefined : body);
    }
    if (path.startsWith(WEB_MIXNET_DOCUMENTS_PATH)) {
      const epoch = MIXNET_DOCUMENT.exec(path)?.[1];
      const signed =
        epoch === undefined ? undefined : options.mixnet?.signedDocument(Number(epoch));
      if (!signed) return plain(response, 404, 'no such directory held\n');
      const body = `${JSON.stringify(signedJson(signed))}\n`;
      response.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        // Held for this epoch and the next; the node may hold a later one on the next request.
        'cache-control': 'no-store',
        'content-length': Buffer.byteLength(body),
      });
      return void response.end(request.method === 'HEAD' ? undefined : body);
    }
    return serveFile(request, response, path);
  };

  const server: Server = createServer((request, response) => {
    serve(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  // A malformed request line is answered by Node's parser with a 400 and closed.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  try {
    await new Promise<void>((done, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, done);
    });
  } catch (error) {
    throw new WebServerError(
      'listen',
      `web-port ${options.port} on ${options.host}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (!existsSync(index))
    logger.warn(
      { webRoot: root, build: WEB_BUILD_COMMAND },
      'the browser app is not built: its page answers 503 until it is',
    );
  const port = (server.address() as { port: number }).port;
  // WebCrypto, which the page needs, exists only in a secure context: over plain http that is
  // localhost alone, so a page reached at any other address of this host does not work.
  if (!isLoopbackHost(options.host))
    logger.warn(
      { host: options.host, port },
      'the web server listens beyond loopback: browsers give WebCrypto, which the page needs, only to https or localhost pages, so elsewhere the page works only behind TLS (https) or when opened on localhost',
    );
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}/`,
    root,
    get built() {
      return existsSync(index);
    },
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        // A page left open holds keep-alive connections; they must not hold the node's stop.
        server.closeAllConnections();
      }),
  };
}
