/**
 * Python exceptions as the simulator raises them: the fully qualified name Odoo serializes, the
 * message, the exception lines of the traceback (`debug`) and the HTTP status JSON-2 answers with
 * (Odoo 19 `http_status`: UserError 422, AccessDenied/AccessError 403, MissingError 404).
 * Messages copy Odoo 18's wording, as pinned by test/recordings/odoo18.
 */

export class PyError extends Error {
  constructor(
    readonly pyName: string,
    message: string,
    readonly httpStatus: number,
    /** Exception lines of the traceback, causes first; the last one is this exception's. */
    readonly chain: string[] = [],
  ) {
    super(message);
  }

  get debug(): string {
    const own = `${this.pyName.replace(/^builtins\./, '')}: ${this.message}`;
    const parts = this.chain.map((c) => `Traceback (most recent call last):\n${c}\nThe above exception was the direct cause of the following exception:\n`);
    return `${parts.join('')}Traceback (most recent call last):\n  (simulated)\n${own}`;
  }
}

export const userError = (message: string) => new PyError('odoo.exceptions.UserError', message, 422);
export const validationError = (message: string, chain: string[] = []) => new PyError('odoo.exceptions.ValidationError', message, 422, chain);
export const accessDenied = (message = 'Access Denied') => new PyError('odoo.exceptions.AccessDenied', message, 403);
export const missingError = (model: string, ids: number[], uid: number) =>
  new PyError('odoo.exceptions.MissingError', `Record does not exist or has been deleted.\n(Record: ${model}(${ids.join(', ')},), User: ${uid})`, 404);
export const attributeError = (message: string) => new PyError('builtins.AttributeError', message, 404);
export const typeError = (message: string) => new PyError('builtins.TypeError', message, 422);
export const valueError = (message: string) => new PyError('builtins.ValueError', message, 422);
export const serializationFailure = () =>
  new PyError('psycopg2.errors.SerializationFailure', 'could not serialize access due to concurrent update', 500);

const OPERATION_WORDS = { read: 'access', write: 'modify', create: 'create', unlink: 'delete' } as const;

export function accessError(operation: keyof typeof OPERATION_WORDS, description: string, model: string, groups: string[]): PyError {
  const allowed = groups.length
    ? `This operation is allowed for the following groups:\n${groups.map((g) => `\t- ${g}`).join('\n')}`
    : 'No group currently allows this operation.';
  return new PyError(
    'odoo.exceptions.AccessError',
    `You are not allowed to ${OPERATION_WORDS[operation]} '${description}' (${model}) records.\n\n${allowed}\n\nContact your administrator to request access if necessary.`,
    403,
  );
}

/** A PostgreSQL unique violation, wrapped the way Odoo 18 `_as_validation_error` does it. */
export function uniqueViolation(constraint: string, columns: string[], values: unknown[], message: string): PyError {
  return validationError(`The operation cannot be completed: ${message}`, [
    `psycopg2.errors.UniqueViolation: duplicate key value violates unique constraint "${constraint}"\nDETAIL:  Key (${columns.join(', ')})=(${values.map(String).join(', ')}) already exists.`,
  ]);
}

export function checkViolation(table: string, constraint: string, message: string): PyError {
  return validationError(`The operation cannot be completed: ${message}`, [
    `psycopg2.errors.CheckViolation: new row for relation "${table}" violates check constraint "${constraint}"`,
  ]);
}

export function notNullViolation(table: string, column: string, modelDescription: string, model: string, fieldLabel: string): PyError {
  return validationError(
    'The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n- Delete: another model requires the record being deleted. If possible, archive it instead.\n\n' +
      `Model: ${modelDescription} (${model})\nField: ${fieldLabel} (${column})\n`,
    [`psycopg2.errors.NotNullViolation: null value in column "${column}" of relation "${table}" violates not-null constraint`],
  );
}
