/**
 * The auth feature assembled: master keyring, signing keys, token issuer and verifier, partner
 * cache, client authentication, the rotated Odoo key. Built once at start-up (`createAuthService`)
 * and exposed to routes as `services.auth`.
 */
import { StartupError } from '../startup-error.js';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { OdooClient } from '../odoo/client.js';
import type { SqlStore } from '../store/store.js';
import { ClientAuthenticator } from './clients.js';
import { OdooKeyManager } from './odoo-key.js';
import { PartnerCache } from './partners.js';
import { SealedSecrets } from './sealed-secrets.js';
import { MasterKeyring } from './sealed.js';
import { SigningKeyStore } from './signing-keys.js';
import { TokenIssuer } from './tokens.js';
import { TokenVerifier } from './verifier.js';

export interface AuthService {
  /** `iss` of the gateway's tokens and `aud` of every token: GATEWAY_PUBLIC_URL. */
  issuerUrl: string;
  keyring: MasterKeyring;
  keys: SigningKeyStore;
  secrets: SealedSecrets;
  partners: PartnerCache;
  clients: ClientAuthenticator;
  tokens: TokenIssuer;
  verifier: TokenVerifier;
  /** Null when the Odoo client cannot swap its secret. */
  odooKey: OdooKeyManager | null;
  start(): void;
  stop(): void;
}

export interface CreateAuthOptions {
  config: Config;
  store: SqlStore;
  odoo: OdooClient;
  /** The client whose secret a rotated Odoo key replaces, when `odoo` wraps it (bulkhead, breaker). Default: `odoo`. */
  keyClient?: OdooClient;
  logger: Logger;
  now?: () => number;
  /** Do not load the partner registry or start timers (the CLI). */
  offline?: boolean;
}

/**
 * The master keyring from the configuration. Without GATEWAY_MASTER_KEY, only the demo (no Odoo
 * configured: the fake Odoo of `npm run demo`) runs, with an ephemeral key it announces in the log.
 */
export function masterKeyringFor(config: Config, logger: Logger): { keyring: MasterKeyring; ephemeral: boolean } {
  if (config.masterKey) return { keyring: new MasterKeyring(config.masterKey, config.previousMasterKey), ephemeral: false };
  if (config.odoo) throw new StartupError('config', ['GATEWAY_MASTER_KEY: is required (32 random bytes, base64: openssl rand -base64 32)']);
  logger.warn('demo mode: GATEWAY_MASTER_KEY is not set, so an ephemeral master key is used; signing keys will not survive a restart. Never run like this in production.');
  return { keyring: new MasterKeyring(randomBytes(32)), ephemeral: true };
}

export async function createAuthService(options: CreateAuthOptions): Promise<AuthService> {
  const { config, store, odoo, logger } = options;
  const now = options.now ?? Date.now;
  const { keyring, ephemeral } = masterKeyringFor(config, logger);
  const refreshMs = Math.min(5_000, config.clockSkewSeconds * 1000 || 5_000);
  const keys = new SigningKeyStore({
    store,
    keyring,
    alg: config.tokenAlg,
    tokenTtlSeconds: config.tokenTtlSeconds,
    clockSkewSeconds: config.clockSkewSeconds,
    refreshMs,
    now,
    logger,
    discardUnreadable: ephemeral,
  });
  await keys.init();
  const secrets = new SealedSecrets(store, keyring, now);
  const partners = new PartnerCache({ odoo, refreshMs: config.partnerRefreshSeconds * 1000, logger, now });
  const clients = new ClientAuthenticator({ odoo, now });
  partners.onChange((codes) => {
    for (const code of codes) clients.forgetPartner(code);
  });
  const tokens = new TokenIssuer({ keys, issuer: config.publicUrl, ttlSeconds: config.tokenTtlSeconds, now });
  const verifier = new TokenVerifier({ keys, partners, issuer: config.publicUrl, clockSkewSeconds: config.clockSkewSeconds, now });

  let odooKey: OdooKeyManager | null = null;
  const keyClient = options.keyClient ?? odoo;
  if (keyClient.setSecret) {
    const swappable = { rpc: odoo.rpc.bind(odoo), setSecret: keyClient.setSecret.bind(keyClient) };
    odooKey = new OdooKeyManager({
      secrets,
      odoo: swappable,
      logger,
      pollMs: refreshMs,
      validate: keyClient.verifySecret?.bind(keyClient),
    });
    await odooKey.init(config.odoo?.apiKey ?? config.odoo?.password ?? null);
  }

  if (!options.offline) {
    await partners.refresh().catch((err: unknown) => logger.warn({ err: { message: (err as Error).message } }, 'auth: partner registry not loaded yet (Odoo unreachable?); retrying in the background'));
  }

  return {
    issuerUrl: config.publicUrl,
    keyring,
    keys,
    secrets,
    partners,
    clients,
    tokens,
    verifier,
    odooKey,
    start() {
      if (options.offline) return;
      keys.start();
      partners.start();
      odooKey?.start();
    },
    stop() {
      keys.stop();
      partners.stop();
      odooKey?.stop();
    },
  };
}
