import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
import { isApi } from './http.ts';

declare module 'fastify' {
  interface FastifyReply {
    /** This response's Content-Security-Policy nonce for `<script nonce>` (pages only; null on the API). */
    cspNonce: string | null;
  }
}

/**
 * CSP nonces: 128 random bits each, new for every page. Drawn from a pool filled 256 at a time, as Node does for
 * `randomUUID()`: one `randomBytes` call per page cost about 0.1 ms under load, a slice of the pool almost nothing.
 * Each slice is used once.
 */
function noncePool(): () => string {
  const SIZE = 16;
  let pool = Buffer.alloc(0);
  let at = 0;
  return () => {
    if (at + SIZE > pool.length) {
      pool = randomBytes(SIZE * 256);
      at = 0;
    }
    const nonce = pool.toString('base64', at, at + SIZE);
    at += SIZE;
    return nonce;
  };
}

/**
 * Security headers on every response (helmet), built once at start-up. Pages get a strict CSP whose `script-src`
 * carries a new nonce per response (the only scripts are the layout's two module scripts, which carry it). The
 * JSON API gets `default-src 'none'; frame-ancestors 'none'` and no nonce: it serves no markup, so nothing may
 * load, run or frame it. Helmet is not rebuilt per request (the Fastify plugin parsed every directive again for
 * each response, a sixth of the CPU an API submission took).
 */
export function registerSecurityHeaders(app: FastifyInstance, opts: { secure: boolean }): void {
  const nonces = new WeakMap<ServerResponse, string>();
  const common: HelmetOptions = {
    hsts: opts.secure ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' }, // the same as frame-ancestors 'none', for browsers without CSP level 2
    crossOriginEmbedderPolicy: false,
  };
  const page = helmet({
    ...common,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", (_req, res) => `'nonce-${nonces.get(res as ServerResponse)}'`],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        objectSrc: ["'none'"],
        ...(opts.secure ? { upgradeInsecureRequests: [] } : {}),
      },
    },
  });
  const api = helmet({
    ...common,
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  });
  const nonce = noncePool();

  app.decorateReply('cspNonce', null);
  app.addHook('onRequest', (req, reply, done) => {
    // helmet calls back with an Error only when a directive's value is unusable (the request then fails, 500)
    const next = (err?: unknown) => done(err instanceof Error ? err : undefined);
    if (isApi(req)) return api(req.raw, reply.raw, next);
    reply.cspNonce = nonce();
    nonces.set(reply.raw, reply.cspNonce);
    page(req.raw, reply.raw, next);
  });
}
