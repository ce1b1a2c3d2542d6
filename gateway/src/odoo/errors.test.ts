import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  OdooAccessError,
  OdooAuthError,
  OdooConcurrencyError,
  OdooMissingError,
  OdooNetworkError,
  OdooServerError,
  OdooTimeoutError,
  OdooUniqueViolationError,
  OdooValidationError,
  odooErrorFromData,
  odooErrorFromTransport,
  type OdooErrorData,
} from './errors.js';

const recordings = join(import.meta.dirname, '../../../test/recordings/odoo18');

/** The serialized exceptions a real Odoo 18 answered (test/recordings), by recording name. */
function recordedError(name: string): OdooErrorData {
  const file = readdirSync(recordings).find((f) => f.endsWith(`-${name}.json`));
  if (!file) throw new Error(`no recording ${name}`);
  const body = JSON.parse(readFileSync(join(recordings, file), 'utf8')).response.body as { error: { data: OdooErrorData } };
  return body.error.data;
}

describe('odooErrorFromData, on errors recorded from Odoo 18', () => {
  it.each([
    ['execute_wrong_key', OdooAuthError, 'odoo.exceptions.AccessDenied'],
    ['session_authenticate_wrong_password', OdooAuthError, 'odoo.exceptions.AccessDenied'],
    ['portal_read_quants', OdooAccessError, 'odoo.exceptions.AccessError'],
    ['portal_create_partner', OdooAccessError, 'odoo.exceptions.AccessError'],
    ['write_missing_record', OdooMissingError, 'odoo.exceptions.MissingError'],
    ['create_partner_without_name', OdooValidationError, 'odoo.exceptions.ValidationError'],
    ['unlink_confirmed_order', OdooValidationError, 'odoo.exceptions.UserError'],
    ['create_duplicate_login', OdooUniqueViolationError, 'odoo.exceptions.ValidationError'],
    ['wrong_model', OdooValidationError, 'odoo.exceptions.UserError'],
    ['wrong_method', OdooServerError, 'builtins.AttributeError'],
  ])('%s → %s', (name, type, odooName) => {
    const err = odooErrorFromData(recordedError(name), { httpStatus: 200 });
    expect(err).toBeInstanceOf(type);
    expect(err.constructor).toBe(type);
    expect(err.odooName).toBe(odooName);
    expect(err.message).toBe(recordedError(name).message);
    expect(err.retryable).toBe(false);
  });

  it('keeps a unique violation a validation error, and a check violation not a unique one', () => {
    const unique = odooErrorFromData(recordedError('create_duplicate_login'));
    expect(unique).toBeInstanceOf(OdooValidationError);
    expect(unique.kind).toBe('unique_violation');
    expect(odooErrorFromData(recordedError('create_partner_without_name')).kind).toBe('validation');
  });
});

describe('odooErrorFromData, other shapes', () => {
  it('maps concurrency failures as retryable', () => {
    for (const data of [
      { name: 'psycopg2.errors.SerializationFailure', message: 'could not serialize access due to concurrent update' },
      { name: 'psycopg2.extensions.TransactionRollbackError', message: 'deadlock detected' },
      { name: 'psycopg2.errors.LockNotAvailable', message: 'could not obtain lock on row in relation "sale_order"' },
      { name: 'builtins.Exception', message: 'ERROR: could not serialize access due to read/write dependencies' },
    ]) {
      const err = odooErrorFromData(data);
      expect(err, data.name).toBeInstanceOf(OdooConcurrencyError);
      expect(err.retryable).toBe(true);
    }
  });

  it('maps a bare unique violation by name or message', () => {
    expect(odooErrorFromData({ name: 'psycopg2.errors.UniqueViolation', message: 'x' })).toBeInstanceOf(OdooUniqueViolationError);
    expect(odooErrorFromData({ message: 'duplicate key value violates unique constraint "res_users_login_key"' })).toBeInstanceOf(OdooUniqueViolationError);
  });

  it('maps JSON-2 answers (Odoo 19) by name, and bare string bodies by HTTP status', () => {
    const invalidKey = { name: 'werkzeug.exceptions.Unauthorized', message: 'Invalid apikey', arguments: ['Invalid apikey', 401], context: {} };
    expect(odooErrorFromData(invalidKey, { httpStatus: 401 })).toBeInstanceOf(OdooAuthError);
    expect(odooErrorFromData({ message: 'Invalid apikey' }, { httpStatus: 401 })).toBeInstanceOf(OdooAuthError);
    expect(odooErrorFromData({ message: 'no access' }, { httpStatus: 403 })).toBeInstanceOf(OdooAccessError);
    expect(odooErrorFromData({ message: "got an unexpected keyword argument 'x'" }, { httpStatus: 422 })).toBeInstanceOf(OdooValidationError);
    expect(odooErrorFromData({ name: 'werkzeug.exceptions.NotFound', message: "the model 'x' does not exist" }, { httpStatus: 404 })).toBeInstanceOf(OdooServerError);
    expect(odooErrorFromData({ message: 'internal server error' }, { httpStatus: 500 })).toBeInstanceOf(OdooServerError);
  });

  it('treats a proxy 502/503 as a retryable network error that did not reach Odoo', () => {
    const err = odooErrorFromData(undefined, { httpStatus: 503, fallbackMessage: 'Service Unavailable' });
    expect(err).toBeInstanceOf(OdooNetworkError);
    expect(err.retryable).toBe(true);
    expect((err as OdooNetworkError).maybeCommitted).toBe(false);
  });
});

describe('odooErrorFromTransport', () => {
  it('knows when a request never left', () => {
    const refused = odooErrorFromTransport(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }));
    expect(refused).toBeInstanceOf(OdooNetworkError);
    expect((refused as OdooNetworkError).maybeCommitted).toBe(false);
    const connectTimeout = odooErrorFromTransport(Object.assign(new Error('Connect Timeout Error'), { code: 'UND_ERR_CONNECT_TIMEOUT' }));
    expect(connectTimeout).toBeInstanceOf(OdooTimeoutError);
    expect((connectTimeout as OdooNetworkError).maybeCommitted).toBe(false);
  });

  it('says a broken or timed-out request may have been committed', () => {
    const reset = odooErrorFromTransport(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }));
    expect(reset).toBeInstanceOf(OdooNetworkError);
    expect(reset).not.toBeInstanceOf(OdooTimeoutError);
    expect((reset as OdooNetworkError).maybeCommitted).toBe(true);
    const headers = odooErrorFromTransport(Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' }));
    expect(headers).toBeInstanceOf(OdooTimeoutError);
    expect((headers as OdooNetworkError).maybeCommitted).toBe(true);
    expect(odooErrorFromTransport(new Error('This operation was aborted'), { timedOut: true })).toBeInstanceOf(OdooTimeoutError);
  });
});
