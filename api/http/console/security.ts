/**
 * The headers every console response carries. The Content-Security-Policy
 * allows scripts, styles and images from Outpost itself only: no inline
 * script or style, no other origin, no framing, forms posting only back here.
 * So an address or a subject that slipped past the templates' escaping still
 * could not run. Pages are never cached (they show one account's mail) and
 * never leak their URL (a search names recipients) as a Referer.
 */
import type Koa from 'koa';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export function securityHeaders(): Koa.Middleware {
  return async (ctx, next) => {
    ctx.set({
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin',
    });
    await next();
  };
}
