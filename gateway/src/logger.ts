/**
 * pino JSON logs with redaction: credentials, tokens, secrets, e-mail addresses and phone numbers
 * never reach a log line, wherever they sit in a logged object.
 */
import { pino, type Logger, type LoggerOptions } from 'pino';

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
];

export function createLogger(level: LoggerOptions['level'] = 'info', destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'retail-gateway' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactPaths, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
