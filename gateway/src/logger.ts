/**
 * pino JSON logs with redaction: credentials, tokens, secrets, e-mail addresses and phone numbers
 * never reach a log line, wherever they sit in a logged object.
 *
 * Login identifiers (`login`, `username`: often an e-mail, sometimes a password typed in the wrong
 * field) are never written verbatim either; they become a short keyed hash, `[id:…]`, so the lines
 * of one login can still be told apart and followed without revealing it.
 */
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { pino, type Logger, type LoggerOptions } from 'pino';

/** Keys whose values are identifiers: logged as a keyed hash. */
const IDENTIFIER_KEYS = new Set(['login', 'username']);

/** Paths censored in every log line (pino's redaction is compiled once, so it is cheap). */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-shopify-hmac-sha256"]',
  'req.headers["stripe-signature"]',
  'req.headers["webhook-signature"]',
  'headers.authorization',
  'authorization',
  '*.authorization',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'client_secret',
  '*.client_secret',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'apiKey',
  '*.apiKey',
  'api_key',
  '*.api_key',
  'email',
  '*.email',
  '*.*.email',
  'phone',
  '*.phone',
  '*.*.phone',
  'login',
  '*.login',
  '*.*.login',
  'username',
  '*.username',
  '*.*.username',
];

/** Process-wide key of the identifier hashes unless the gateway supplies one (`logPseudonymKey`). */
let defaultKey: Buffer | null = null;

/** The key of identifier hashes derived from the master key, so every replica hashes a login alike. */
export function logPseudonymKey(masterKey: Buffer | null): Buffer | undefined {
  return masterKey ? Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'retail-gateway log pseudonyms', 32)) : undefined;
}

/** The censor of redacted paths: identifiers become `[id:<12 hex>]`, everything else `[redacted]`. */
export function redactionCensor(key: Buffer = (defaultKey ??= randomBytes(32))): (value: unknown, path: string[]) => string {
  return (value, path) => {
    if (!IDENTIFIER_KEYS.has(path[path.length - 1] ?? '')) return '[redacted]';
    if (typeof value !== 'string' || value === '') return '[redacted]';
    return `[id:${createHmac('sha256', key).update(value).digest('hex').slice(0, 12)}]`;
  };
}

export interface CreateLoggerOptions {
  /** Key of the identifier hashes (default: one random key per process). */
  pseudonymKey?: Buffer;
}

export function createLogger(level: LoggerOptions['level'] = 'info', destination?: pino.DestinationStream, extra: CreateLoggerOptions = {}): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'retail-gateway' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactPaths, censor: redactionCensor(extra.pseudonymKey) },
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
