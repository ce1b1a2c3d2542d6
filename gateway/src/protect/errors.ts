/**
 * Refusals of the Odoo guard. They are network errors that certainly never reached Odoo
 * (`maybeCommitted: false`), so every caller already treats them as "Odoo unavailable, try later":
 * reads answer from cache or 503, writes stay in the intake queue.
 */
import { OdooNetworkError } from '../odoo/errors.js';

/** The circuit is open (or half-open with its probe in flight): the call was not attempted. */
export class OdooCircuitOpenError extends OdooNetworkError {
  constructor(model: string | undefined, method: string | undefined, readonly retryAfterMs: number) {
    super({ message: 'Odoo circuit is open: the call was not attempted', odooName: 'circuit_open', model, method, maybeCommitted: false });
  }
}

/** Too many calls were already waiting, or this one waited past its deadline. */
export class OdooBulkheadFullError extends OdooNetworkError {
  constructor(model: string | undefined, method: string | undefined, readonly reason: 'queue_full' | 'queue_timeout') {
    super({
      message: reason === 'queue_full' ? 'Too many Odoo calls waiting: the call was not attempted' : 'Waited too long for an Odoo slot: the call was not attempted',
      odooName: `bulkhead_${reason}`,
      model,
      method,
      maybeCommitted: false,
    });
  }
}
