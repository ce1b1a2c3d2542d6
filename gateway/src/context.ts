/** The Hono environment every middleware and route shares. */
import type { Logger } from 'pino';
import type { Scope } from '../../contracts/src/scopes.js';
import type { Services } from './services.js';

/** Who is calling: set by the auth middleware from a verified access token. */
export interface Principal {
  /** Partner code (`sub` of the token). */
  partner: string;
  clientId: string;
  scopes: readonly Scope[];
  /** `jti` of the token. */
  tokenId: string;
  /** Seconds since epoch. */
  expiresAt: number;
}

export interface RequestVariables {
  requestId: string;
  /** W3C trace context of the request, when it came with a valid `traceparent`. */
  traceparent: string | undefined;
  log: Logger;
  clientIp: string;
  services: Services;
  /** Present behind the auth middleware. */
  principal: Principal;
}

export interface AppEnv {
  Variables: RequestVariables;
}
