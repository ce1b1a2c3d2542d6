/**
 * The Odoo API key the gateway calls Odoo with. The environment (`ODOO_API_KEY`) gives the first
 * value; a rotated key is stored sealed in the gateway's store and wins over the environment from
 * then on, on every replica: each one polls the stored version and swaps its client's secret.
 *
 * Zero dropped calls: the operator creates the new key in Odoo while the old one still works,
 * hands it to the gateway (checked against Odoo before it is used), and revokes the old key in
 * Odoo only after every replica has switched (one poll interval).
 */
import type { Logger } from 'pino';
import type { OdooClient } from '../odoo/client.js';
import type { SealedSecrets } from './sealed-secrets.js';

export const ODOO_KEY_SECRET = 'odoo_api_key';

/** The part of the Odoo client this needs: calls, and swapping the secret at runtime. */
export type SwappableOdooClient = Pick<OdooClient, 'rpc'> & { setSecret(secret: string): void };

export interface OdooKeyManagerOptions {
  secrets: SealedSecrets;
  odoo: SwappableOdooClient;
  /**
   * Proves a key works before anything uses it (a call with a separate client). When absent, the
   * key is tried on the live client and the previous one restored if Odoo refuses it.
   */
  validate?: (secret: string) => Promise<void>;
  pollMs?: number;
  logger?: Logger;
}

export class OdooKeyManager {
  private version: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private current: string | null = null;

  constructor(private readonly options: OdooKeyManagerOptions) {}

  /** Uses the stored key, if one was rotated in, instead of the environment's. */
  async init(initial: string | null): Promise<void> {
    this.current = initial;
    await this.sync();
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.sync().catch((err: unknown) => this.options.logger?.warn({ err: { message: (err as Error).message } }, 'auth: Odoo key poll failed'));
    }, this.options.pollMs ?? 5_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The version of the stored key in use (null: the environment's). */
  get storedVersion(): number | null {
    return this.version;
  }

  /** Checks the new key against Odoo, stores it sealed and switches to it. */
  async rotate(secret: string): Promise<{ version: number }> {
    if (secret.length < 8) throw new RangeError('an Odoo API key is longer than that');
    if (this.options.validate) {
      await this.options.validate(secret);
    } else {
      const previous = this.current;
      // Without a way to check the key aside, it is tried live; that needs the current one to fall back to.
      if (previous === null) throw new Error('the Odoo client cannot check a key before using it, and the current key is unknown');
      this.options.odoo.setSecret(secret);
      try {
        await this.options.odoo.rpc('partners', { codes: [] });
      } catch (err) {
        this.options.odoo.setSecret(previous);
        throw err;
      }
    }
    const version = await this.options.secrets.put(ODOO_KEY_SECRET, secret);
    this.options.odoo.setSecret(secret);
    this.current = secret;
    this.version = version;
    this.options.logger?.info({ version }, 'auth: Odoo API key rotated');
    return { version };
  }

  /** Picks up a key another replica (or the CLI) rotated in. */
  async sync(): Promise<void> {
    const stored = await this.options.secrets.version(ODOO_KEY_SECRET);
    if (stored === null || stored === this.version) return;
    const secret = await this.options.secrets.get(ODOO_KEY_SECRET);
    if (!secret) return;
    this.options.odoo.setSecret(secret.value);
    this.current = secret.value;
    this.version = secret.version;
    this.options.logger?.info({ version: secret.version }, 'auth: using the rotated Odoo API key from the store');
  }
}
