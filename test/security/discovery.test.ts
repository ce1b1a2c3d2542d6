/**
 * A standard OAuth client library (oauth4webapi), used unchanged, discovers the gateway (RFC 8414),
 * obtains a token with the client-credentials grant and calls a scoped route. The same library's
 * resource-server check (`validateJwtAccessToken`) then validates the token as an RFC 9068 JWT
 * access token against the published JWKS: an independent check of the token profile.
 *
 * The gateway's public URL is `http://gateway.test`; the library's fetch is pointed at the test
 * server's real address, the way a reverse proxy would.
 */
// First: zod 4 attaches `.openapi` per schema, so the extension must load before any contract does.
import '@hono/zod-openapi';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { seedChannelPartners } from './support.js';

const PUBLIC_URL = 'http://gateway.test';
let t: TestGateway;

const viaTestServer: typeof fetch = (input, init) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  return fetch(url.replace(PUBLIC_URL, t.url), init);
};
const options = { [oauth.allowInsecureRequests]: true, [oauth.customFetch]: viaTestServer };

beforeAll(async () => {
  t = await startTestGateway({ env: { GATEWAY_PUBLIC_URL: PUBLIC_URL, GATEWAY_TOKEN_RATE_PER_MIN: '1000' } });
  seedChannelPartners(t.sim);
  await t.gateway.services.auth!.partners.refresh();
});
afterAll(async () => {
  await t?.close();
});

describe('OAuth discovery with oauth4webapi', () => {
  it('discovers the gateway, gets a token (client_secret_basic) and calls a scoped route', async () => {
    const issuer = new URL(PUBLIC_URL);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...options, algorithm: 'oauth2' }));
    expect(as.issuer).toBe(PUBLIC_URL);
    expect(as.token_endpoint).toBe(`${PUBLIC_URL}/oauth/token`);
    expect(as.grant_types_supported).toContain('client_credentials');

    const client: oauth.Client = { client_id: 'acme' };
    const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic('acme-secret'), { scope: 'products:read' }, options);
    const tokens = await oauth.processClientCredentialsResponse(as, client, response);
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.scope).toBe('products:read');
    expect(tokens.expires_in).toBeGreaterThan(0);
    expect(tokens.expires_in).toBeLessThanOrEqual(900);

    const res = await oauth.protectedResourceRequest(tokens.access_token, 'GET', new URL(`${PUBLIC_URL}/v1/products`), undefined, undefined, options);
    expect(res.status).toBe(200);
    expect(Array.isArray(((await res.json()) as { data: unknown[] }).data)).toBe(true);

    // The library's own RFC 9068 validation of the token, keys fetched from jwks_uri.
    const claims = await oauth.validateJwtAccessToken(
      as,
      new Request(`${PUBLIC_URL}/v1/products`, { headers: { authorization: `Bearer ${tokens.access_token}` } }),
      PUBLIC_URL,
      options,
    );
    expect(claims).toMatchObject({ iss: PUBLIC_URL, aud: PUBLIC_URL, sub: 'acme', client_id: 'acme', scope: 'products:read' });
  });

  it('client_secret_post works too, and a wrong secret surfaces as the RFC 6749 error the library parses', async () => {
    const issuer = new URL(PUBLIC_URL);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...options, algorithm: 'oauth2' }));
    const client: oauth.Client = { client_id: 'globex' };
    const ok = await oauth.processClientCredentialsResponse(as, client, await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretPost('globex-secret'), {}, options));
    expect(ok.access_token).toBeTruthy();
    const bad = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretPost('nope'), {}, options);
    // A 401 with a Basic challenge: the library surfaces the challenge, and the body is RFC 6749's.
    const err = await oauth.processClientCredentialsResponse(as, client, bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    const challenge = err as oauth.WWWAuthenticateChallengeError;
    expect(challenge.status).toBe(401);
    expect(challenge.cause[0]?.scheme).toBe('basic');
    expect(await challenge.response.json()).toMatchObject({ error: 'invalid_client' });
  });
});
