/**
 * 405 for every known path called with a wrong method, from the route table itself: the app's
 * registered routes (not a list kept by hand) give, for a path, the methods some route answers.
 * A request no route matched goes through `allowedMethods(path)`: methods found → 405 with `Allow`;
 * none → 404.
 */
import type { Hono } from 'hono';

interface RouteEntry {
  method: string;
  pattern: RegExp;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A Hono route path (`/v1/orders/:id`, `/:id{[0-9]+}`, `/static/*`) as a regular expression. */
export function routePattern(path: string): RegExp {
  const source = path
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*';
      const param = /^:[\w-]+(?:\{(.+)\})?(\?)?$/.exec(segment);
      if (param) return param[1] ? `(?:${param[1]})` : '[^/]+';
      return escape(segment);
    })
    .join('/');
  return new RegExp(`^${source}/?$`);
}

/**
 * The methods the app answers on a path, computed once from `app.routes` on first use (every
 * route is registered by then). Middleware (method `ALL`) is no route. GET implies HEAD.
 */
export function allowedMethodsOf(app: Hono<never> | { routes: { method: string; path: string }[] }): (path: string) => string[] {
  let table: RouteEntry[] | undefined;
  return (path) => {
    table ??= (app.routes as { method: string; path: string }[])
      .filter((r) => r.method !== 'ALL' && r.path !== '*' && r.path !== '/*')
      .map((r) => ({ method: r.method.toUpperCase(), pattern: routePattern(r.path) }));
    const methods = new Set(table.filter((r) => r.pattern.test(path)).map((r) => r.method));
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  };
}
