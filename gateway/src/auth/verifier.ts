/**
 * Access-token verification with jose, and the cache of verified tokens.
 *
 * Checks, in order: the compact form, the algorithm allowlist (asymmetric only: no `none`, no
 * HMAC), `typ: at+jwt`, the issuer (the gateway itself, or a federated partner's registered
 * issuer), the key by `kid` (the gateway's store, or the partner's JWKS), the signature, `iss`,
 * `aud` (always the gateway), `exp`/`nbf`/`iat` within a bounded clock skew, the required claims,
 * and a lifetime of at most 15 minutes.
 *
 * Verifying an ES256 signature costs about nine times a whole cached request, so a verified token
 * is remembered until it expires; a cache hit only re-checks the expiry.
 *
 * The cache is keyed by the token's last `CACHE_KEY_CHARS` characters (its signature's end) and an
 * entry holds the whole token, which a hit must equal. V8 hashes a string key character by
 * character on every lookup, since each request's header is a new string: for a 426-character
 * token that hash was 3% of a cached read's CPU (measured with perf), where comparing two strings
 * of that length is a memory compare. A token whose tail another cached token shares is a miss,
 * verified in full, and replaces that entry.
 */
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { Scope, type Scope as ScopeName } from '../../../contracts/src/scopes.js';
import type { PartnerRecord } from '../../../contracts/src/partner.js';
import type { PartnerCache } from './partners.js';
import type { SigningKeyStore } from './signing-keys.js';
import { MAX_TOKEN_TTL_SECONDS } from './tokens.js';

/** Algorithms of the gateway's own tokens. */
export const LOCAL_ALGORITHMS = ['ES256', 'EdDSA'] as const;
/** Algorithms accepted from federated partners: asymmetric signatures only. */
export const FEDERATED_ALGORITHMS = ['ES256', 'ES384', 'EdDSA', 'Ed25519', 'RS256', 'PS256'] as const;

export interface VerifiedToken {
  /** The partner code. */
  partner: string;
  clientId: string;
  scopes: ScopeName[];
  tokenId: string;
  /** Seconds since epoch. */
  expiresAt: number;
  kid: string;
  federated: boolean;
}

/** Why a token was refused; the message is safe to show the caller. */
export class TokenError extends Error {
  constructor(
    readonly reason:
      | 'malformed'
      | 'algorithm'
      | 'typ'
      | 'issuer'
      | 'audience'
      | 'unknown_kid'
      | 'signature'
      | 'expired'
      | 'not_yet_valid'
      | 'claims',
    message: string,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

export interface TokenVerifierOptions {
  keys: SigningKeyStore;
  partners: PartnerCache;
  /** The gateway's public URL: issuer of its own tokens and the audience of every token. */
  issuer: string;
  clockSkewSeconds: number;
  now?: () => number;
  /** Verified tokens kept at most (oldest dropped first). Default 100,000. */
  maxEntries?: number;
  /** Federated JWKS: how long a fetched set is used, and the least time between two fetches. */
  jwksCacheMs?: number;
  jwksCooldownMs?: number;
}

/** Characters of a token's end that key the verified-token cache (signature bits: distinct per token). */
const CACHE_KEY_CHARS = 32;

/** The verified-token cache's key of a token: its last characters. */
const cacheKeyOf = (token: string): string => (token.length > CACHE_KEY_CHARS ? token.slice(-CACHE_KEY_CHARS) : token);

interface CachedToken {
  /** The whole token: a lookup hits only when the presented token equals it. */
  token: string;
  verified: VerifiedToken;
}

export class TokenVerifier {
  /** Verified tokens by `cacheKeyOf` (the module comment says why). */
  private readonly cache = new Map<string, CachedToken>();
  private readonly remote = new Map<string, { url: string; set: JWTVerifyGetKey }>();
  private readonly now: () => number;
  private readonly maxEntries: number;

  constructor(private readonly options: TokenVerifierOptions) {
    if (!(options.clockSkewSeconds >= 0 && options.clockSkewSeconds <= 300)) throw new RangeError('clock skew must be within [0, 300] seconds');
    this.now = options.now ?? Date.now;
    this.maxEntries = options.maxEntries ?? 100_000;
  }

  /** Verified tokens currently cached. */
  get cacheSize(): number {
    return this.cache.size;
  }

  /** Drops cached tokens signed by a key (e.g. one withdrawn in an emergency). */
  forgetKid(kid: string): void {
    for (const [k, e] of this.cache) if (e.verified.kid === kid) this.cache.delete(k);
  }

  /**
   * The cached verification of a token still within its lifetime, synchronously (the hot path:
   * no promise on a hit); undefined when it must go through `verify`.
   */
  cached(token: string): VerifiedToken | undefined {
    const hit = this.hit(token);
    if (hit && (hit.expiresAt + this.options.clockSkewSeconds) * 1000 > this.now()) return hit;
    return undefined;
  }

  async verify(token: string): Promise<VerifiedToken> {
    const hit = this.hit(token);
    if (hit) {
      if ((hit.expiresAt + this.options.clockSkewSeconds) * 1000 > this.now()) return hit;
      this.cache.delete(cacheKeyOf(token));
      throw new TokenError('expired', 'The access token has expired.');
    }
    const verified = await this.verifyUncached(token);
    const key = cacheKeyOf(token);
    if (!this.cache.has(key) && this.cache.size >= this.maxEntries) this.evict();
    this.cache.set(key, { token, verified });
    return verified;
  }

  /** The cached verification of exactly this token, expired or not. */
  private hit(token: string): VerifiedToken | undefined {
    const e = this.cache.get(cacheKeyOf(token));
    return e !== undefined && e.token === token ? e.verified : undefined;
  }

  private async verifyUncached(token: string): Promise<VerifiedToken> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    let unverified: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      unverified = decodeJwt(token);
    } catch {
      throw new TokenError('malformed', 'The access token is not a well-formed JWT.');
    }
    if (token.split('.').length !== 3) throw new TokenError('malformed', 'The access token is not a signed JWT.');
    if (!isAtJwt(header.typ)) throw new TokenError('typ', 'The access token is not of type at+jwt.');
    if (typeof header.kid !== 'string' || !header.kid) throw new TokenError('unknown_kid', 'The access token names no key (kid).');
    const { issuer } = this.options;
    if (unverified.iss === issuer) {
      if (!(LOCAL_ALGORITHMS as readonly string[]).includes(header.alg ?? '')) throw new TokenError('algorithm', `Algorithm ${String(header.alg)} is not accepted.`);
      const key = await this.options.keys.publicKey(header.kid);
      if (!key) throw new TokenError('unknown_kid', 'The access token was signed with an unknown or retired key.');
      if (key.alg !== header.alg) throw new TokenError('algorithm', 'The algorithm does not match the key.');
      const payload = await this.check(token, key.key, [key.alg], issuer);
      const sub = payload.sub;
      const clientId = payload.client_id;
      if (typeof sub !== 'string' || typeof clientId !== 'string') throw new TokenError('claims', 'The access token lacks sub or client_id.');
      return { partner: sub, clientId, scopes: parseScopes(payload.scope), tokenId: payload.jti!, expiresAt: payload.exp!, kid: header.kid, federated: false };
    }
    const partner = typeof unverified.iss === 'string' ? this.options.partners.byIssuer(unverified.iss) : undefined;
    if (!partner) throw new TokenError('issuer', 'The access token comes from an unknown issuer.');
    if (!(FEDERATED_ALGORITHMS as readonly string[]).includes(header.alg ?? '')) throw new TokenError('algorithm', `Algorithm ${String(header.alg)} is not accepted.`);
    const payload = await this.check(token, this.jwksOf(partner), [...FEDERATED_ALGORITHMS], partner.issuer!);
    const clientId = typeof payload.client_id === 'string' ? payload.client_id : (payload.sub ?? partner.code);
    const granted = new Set(partner.scopes);
    return {
      partner: partner.code,
      clientId,
      scopes: parseScopes(payload.scope).filter((s) => granted.has(s)),
      tokenId: payload.jti!,
      expiresAt: payload.exp!,
      kid: `${partner.code}:${header.kid}`,
      federated: true,
    };
  }

  private async check(token: string, key: Parameters<typeof jwtVerify>[1], algorithms: string[], issuer: string): Promise<JWTPayload & { client_id?: unknown; scope?: unknown }> {
    try {
      const { payload } = await jwtVerify(token, key as Parameters<typeof jwtVerify>[1] & JWTVerifyGetKey, {
        algorithms,
        issuer,
        audience: this.options.issuer,
        typ: 'at+jwt',
        clockTolerance: this.options.clockSkewSeconds,
        currentDate: new Date(this.now()),
        requiredClaims: ['exp', 'iat', 'jti', 'sub'],
      });
      if (payload.exp! - payload.iat! > MAX_TOKEN_TTL_SECONDS) throw new TokenError('claims', 'The access token lives longer than 15 minutes.');
      if (payload.iat! > this.now() / 1000 + this.options.clockSkewSeconds) throw new TokenError('not_yet_valid', 'The access token was issued in the future.');
      return payload as JWTPayload & { client_id?: unknown; scope?: unknown };
    } catch (err) {
      throw toTokenError(err);
    }
  }

  private jwksOf(partner: PartnerRecord): JWTVerifyGetKey {
    const url = partner.jwks_url!;
    const known = this.remote.get(partner.code);
    if (known && known.url === url) return known.set;
    const set = createRemoteJWKSet(new URL(url), {
      cacheMaxAge: this.options.jwksCacheMs ?? 10 * 60_000,
      cooldownDuration: this.options.jwksCooldownMs ?? 30_000,
      timeoutDuration: 5_000,
    });
    this.remote.set(partner.code, { url, set });
    return set;
  }

  private evict(): void {
    const now = this.now() / 1000 - this.options.clockSkewSeconds;
    for (const [k, e] of this.cache) if (e.verified.expiresAt <= now) this.cache.delete(k);
    if (this.cache.size < this.maxEntries) return;
    let drop = Math.ceil(this.maxEntries / 10);
    for (const k of this.cache.keys()) {
      if (drop-- <= 0) break;
      this.cache.delete(k);
    }
  }
}

function isAtJwt(typ: string | undefined): boolean {
  if (typeof typ !== 'string') return false;
  const t = typ.toLowerCase();
  return t === 'at+jwt' || t === 'application/at+jwt';
}

function parseScopes(value: unknown): ScopeName[] {
  if (typeof value !== 'string') return [];
  return value.split(' ').filter((s): s is ScopeName => Scope.safeParse(s).success);
}

function toTokenError(err: unknown): TokenError {
  if (err instanceof TokenError) return err;
  if (err instanceof joseErrors.JWTExpired) return new TokenError('expired', 'The access token has expired.');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'nbf':
      case 'iat':
        return new TokenError('not_yet_valid', 'The access token is not valid yet.');
      case 'iss':
        return new TokenError('issuer', 'The access token has the wrong issuer.');
      case 'aud':
        return new TokenError('audience', 'The access token is not meant for this gateway.');
      case 'typ':
        return new TokenError('typ', 'The access token is not of type at+jwt.');
      default:
        return new TokenError('claims', `The access token's ${err.claim} claim is not valid.`);
    }
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return new TokenError('signature', 'The access token signature is not valid.');
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return new TokenError('algorithm', 'The algorithm is not accepted.');
  if (err instanceof joseErrors.JWKSNoMatchingKey) return new TokenError('unknown_kid', 'The access token was signed with an unknown key.');
  if (err instanceof joseErrors.JWKSMultipleMatchingKeys) return new TokenError('unknown_kid', 'The access token key is ambiguous.');
  if (err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid) return new TokenError('unknown_kid', "The issuer's key set could not be read.");
  if (err instanceof joseErrors.JWTInvalid || err instanceof joseErrors.JWSInvalid) return new TokenError('malformed', 'The access token is not a well-formed JWT.');
  if (err instanceof joseErrors.JOSEError) return new TokenError('signature', 'The access token could not be verified.');
  if (err instanceof TypeError) return new TokenError('signature', 'The access token could not be verified with its key.');
  throw err;
}
