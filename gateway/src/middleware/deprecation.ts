import type { MiddlewareHandler } from 'hono';

export interface DeprecationOptions {
  /** When the route was deprecated (RFC 9745 `Deprecation: @<epoch seconds>`). */
  since: Date;
  /** When it stops answering (RFC 8594 `Sunset`). */
  sunset: Date;
  /** Where the replacement is documented (`Link: <…>; rel="deprecation"`). */
  link?: string;
}

/** Announces a deprecated route on every response, as the versioning policy in docs/api-versioning.md says. */
export function deprecation({ since, sunset, link }: DeprecationOptions): MiddlewareHandler {
  if (sunset <= since) throw new Error('deprecation: sunset must be after since');
  const deprecationValue = `@${Math.floor(since.getTime() / 1000)}`;
  const sunsetValue = sunset.toUTCString();
  return async function deprecationMiddleware(c, next) {
    await next();
    c.header('Deprecation', deprecationValue);
    c.header('Sunset', sunsetValue);
    if (link) c.header('Link', `<${link}>; rel="deprecation"`);
  };
}
