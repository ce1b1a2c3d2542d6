/**
 * Throttling of credential checks (the token endpoint's client secrets, the dashboard's Odoo
 * passwords), shaped so that strangers cannot lock a client out:
 *
 * 1. every attempt is charged to the caller's address (`token-ip`), whatever the client id;
 * 2. only failures are charged to a client id, and then per (client id, address)
 *    (`token-failures`): an address that keeps failing for a client is held back, others are not;
 * 3. failures are also counted per client id across all addresses (`token-client-failures`), but
 *    that budget only holds back an address that has itself failed for the client lately and has
 *    not authenticated as it within `KNOWN_ADDRESS_TTL_MS`. An address's first attempt and a
 *    known address's attempts are always checked, so the right secret is never refused because
 *    others failed.
 *
 * Client ids and logins are hashed into the keys: no login reaches Redis or a dump of the limiter.
 * Works with either limiter; with Redis every replica sees the same counts and known addresses.
 */
import { createHash } from 'node:crypto';
import { checkPolicy, type RateDecision, type RatePolicy } from './gcra.js';
import type { RateLimiter } from './limiter.js';
import type { RatePolicies } from './tiers.js';

/** Which credentials: a client of the token endpoint, or a dashboard login. */
export type CredentialRealm = 'token' | 'dashboard';

/** How long an address that authenticated as a client stays exempt from the client-wide budget. */
export const KNOWN_ADDRESS_TTL_MS = 7 * 24 * 3_600_000;

/** An address whose attempt for a client failed counts as "failing lately" for up to this long. */
export const FAILED_LATELY_MS = 15 * 60_000;

/** One unit per window: spent by a failure, so "not admitted" means "failed within the window". */
const failedLately: RatePolicy = checkPolicy({ name: 'token-failed-lately', rate: 1, windowMs: FAILED_LATELY_MS, burst: 1 });

export interface CredentialDecision {
  policy: RatePolicy;
  decision: RateDecision;
}

/** A short, fixed-length stand-in for a client id or login (case-folded). */
export function subjectKey(subject: string): string {
  return createHash('sha256').update(subject.toLowerCase()).digest('base64url').slice(0, 22);
}

export class CredentialThrottle {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly policies: RatePolicies,
  ) {}

  /** Charges one attempt to the address. */
  async attempt(realm: CredentialRealm, ip: string): Promise<CredentialDecision> {
    const policy = this.policies.tokenPerIp;
    return { policy, decision: await this.limiter.consume(`${realm}:${ip}`, policy) };
  }

  /** Before a secret is checked: null when it may be, otherwise the budget that refuses it. */
  async gate(realm: CredentialRealm, subject: string, ip: string): Promise<CredentialDecision | null> {
    const { tokenFailures, tokenClientFailures } = this.policies;
    const s = subjectKey(subject);
    const pair = `${realm}:${s}:${ip}`;
    const own = await this.limiter.peek(pair, tokenFailures);
    if (!own.allowed) return { policy: tokenFailures, decision: own };
    // The client-wide budget only applies to an address that failed for this client lately…
    if ((await this.limiter.peek(pair, failedLately)).allowed) return null;
    // …and never authenticated as it.
    if (await this.limiter.recalls(`known:${pair}`)) return null;
    const all = await this.limiter.peek(`${realm}:${s}`, tokenClientFailures);
    return all.allowed ? null : { policy: tokenClientFailures, decision: all };
  }

  /** Records a failed check (a wrong secret or password). */
  async failed(realm: CredentialRealm, subject: string, ip: string): Promise<void> {
    const s = subjectKey(subject);
    const pair = `${realm}:${s}:${ip}`;
    await Promise.all([
      this.limiter.consume(pair, this.policies.tokenFailures),
      this.limiter.consume(`${realm}:${s}`, this.policies.tokenClientFailures),
      this.limiter.consume(pair, failedLately),
    ]);
  }

  /** Records a successful check: the address is known for this client from now on. */
  async succeeded(realm: CredentialRealm, subject: string, ip: string): Promise<void> {
    await this.limiter.remember(`known:${realm}:${subjectKey(subject)}:${ip}`, KNOWN_ADDRESS_TTL_MS);
  }
}
