/**
 * Access tokens: JWTs in the RFC 9068 profile (`typ: at+jwt`), signed by the active signing key.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Scope } from '../../../contracts/src/scopes.js';
import type { SigningKeyStore } from './signing-keys.js';

/** The longest lifetime a token may have, by the product's rule. */
export const MAX_TOKEN_TTL_SECONDS = 900;

export interface IssueTokenInput {
  partner: string;
  clientId: string;
  scopes: readonly Scope[];
}

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  scope: string;
  tokenId: string;
  kid: string;
}

export interface TokenIssuerOptions {
  keys: SigningKeyStore;
  /** `iss` and `aud`: the gateway's public URL. */
  issuer: string;
  ttlSeconds: number;
  now?: () => number;
}

export class TokenIssuer {
  private readonly now: () => number;

  constructor(private readonly options: TokenIssuerOptions) {
    if (!(options.ttlSeconds > 0 && options.ttlSeconds <= MAX_TOKEN_TTL_SECONDS)) throw new RangeError(`token lifetime must be within (0, ${MAX_TOKEN_TTL_SECONDS}] seconds`);
    this.now = options.now ?? Date.now;
  }

  async issue(input: IssueTokenInput): Promise<IssuedToken> {
    const { kid, alg, privateKey } = this.options.keys.activeKey();
    const iat = Math.floor(this.now() / 1000);
    const tokenId = randomUUID();
    const scope = input.scopes.join(' ');
    const accessToken = await new SignJWT({ client_id: input.clientId, scope })
      .setProtectedHeader({ alg, kid, typ: 'at+jwt' })
      .setIssuer(this.options.issuer)
      .setAudience(this.options.issuer)
      .setSubject(input.partner)
      .setJti(tokenId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.options.ttlSeconds)
      .sign(privateKey);
    return { accessToken, expiresIn: this.options.ttlSeconds, scope, tokenId, kid };
  }
}
