import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** A fresh random session token (256 bits, URL-safe). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison of a presented token against the session's. */
export function tokenMatches(presented: string | null | undefined, expected: string): boolean {
  if (typeof presented !== 'string') return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Cookie name, per port: cookies are not port-scoped, so two servers must not share one. */
export function cookieName(port: number): string {
  return `osler_session_${port}`;
}

/** Reads one cookie from a request. */
export function readCookie(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** The hosts this server answers to. Anything else is a DNS-rebinding attempt or a mistake. */
export function allowedHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
}

/** The origins allowed to call this server. */
export function allowedOrigins(port: number): Set<string> {
  return new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);
}

/** The outcome of checking a request's Host, Origin and token. */
export type Verdict =
  | { readonly ok: true; readonly via: 'cookie' | 'query' | 'header' }
  | { readonly ok: false; readonly status: 400 | 401 | 403; readonly reason: string };

/**
 * Checks Host (always), Origin (when present, or always when `requireOrigin`), and the token
 * from the `token` query parameter, the session cookie or an `Authorization: Bearer` header.
 */
export function checkRequest(
  req: IncomingMessage,
  url: URL,
  port: number,
  token: string,
  requireOrigin = false,
): Verdict {
  const host = req.headers.host;
  if (!host || !allowedHosts(port).has(host.toLowerCase()))
    return { ok: false, status: 403, reason: 'host not allowed' };
  const origin = req.headers.origin;
  if (origin !== undefined || requireOrigin) {
    if (!origin || !allowedOrigins(port).has(origin.toLowerCase()))
      return { ok: false, status: 403, reason: 'origin not allowed' };
  }
  // An explicit token wins over a cookie left by an earlier session on the same port.
  const fromQuery = url.searchParams.get('token');
  if (fromQuery !== null) {
    return tokenMatches(fromQuery, token)
      ? { ok: true, via: 'query' }
      : { ok: false, status: 403, reason: 'wrong session token' };
  }
  const fromCookie = readCookie(req, cookieName(port));
  if (fromCookie !== null) {
    return tokenMatches(fromCookie, token)
      ? { ok: true, via: 'cookie' }
      : { ok: false, status: 403, reason: 'wrong session token' };
  }
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) {
    return tokenMatches(auth.slice(7), token)
      ? { ok: true, via: 'header' }
      : { ok: false, status: 403, reason: 'wrong session token' };
  }
  return { ok: false, status: 401, reason: 'session token required' };
}
