/**
 * The checks every HTTP listener of the node applies before it serves anything (JSON-RPC over
 * HTTP and WebSocket, metrics and health): the Host header must be an allowed virtual host
 * (stops DNS rebinding; host names compare case-insensitively), and with a token set the
 * request must carry it. Request targets are parsed without ever throwing.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Who may call. */
export interface RpcSecurity {
  readonly vhosts: readonly string[];
  readonly origins: readonly string[];
  readonly token: string | undefined;
}

/** Whether the Host header names an allowed virtual host (geth's --rpcvhosts). */
export function hostAllowed(headers: IncomingHttpHeaders, security: RpcSecurity): boolean {
  if (security.vhosts.includes('*')) return true;
  const host = headers.host;
  if (!host) return true; // HTTP/1.0 clients without Host cannot be rebinding attacks
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.split(':')[0]!;
  const lower = name.toLowerCase();
  return security.vhosts.some((vhost) => vhost.toLowerCase() === lower);
}

/**
 * A request target parsed as a URL, or undefined when it cannot be (`//`, `/\`, `//[`): such
 * a request gets a 400, never an exception.
 */
export function requestUrl(target: string | undefined): URL | undefined {
  try {
    return new URL(target ?? '/', 'http://x');
  } catch {
    return undefined;
  }
}

/** Whether the request carries the token, when one is set (`Authorization: Bearer`, or `?token=`). */
export function tokenAllowed(
  headers: IncomingHttpHeaders,
  target: string | undefined,
  security: RpcSecurity,
): boolean {
  if (!security.token) return true;
  if (headers.authorization === `Bearer ${security.token}`) return true;
  // An unparsable request target carries no token.
  return requestUrl(target)?.searchParams.get('token') === security.token;
}
