/** What a transport does: one model-method call, already authenticated, errors already typed. */
export interface TransportCall {
  model: string;
  method: string;
  /** Record ids for record methods; absent for `@api.model` methods. */
  ids?: number[];
  kwargs: Record<string, unknown>;
  /** The Odoo context for the call (lang, tz, request_id…). */
  context: Record<string, unknown>;
  timeoutMs?: number;
}

export type TransportName = 'jsonrpc' | 'json2';

export interface OdooTransport {
  readonly name: TransportName;
  call(call: TransportCall): Promise<unknown>;
}

export interface OdooCredentials {
  db: string;
  /** The login of the technical user. */
  login: string;
  /** An API key (preferred) or the user's password; JSON-2 accepts API keys only. */
  secret: string;
}
