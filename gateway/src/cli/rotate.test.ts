import { describe, expect, it } from 'vitest';
import { parseRotateArgs } from './rotate.js';

describe('retail-gateway rotate arguments', () => {
  it('parses each credential with its arguments', () => {
    expect(parseRotateArgs(['signing-key'])).toEqual({ what: 'signing-key', positional: [], grace: undefined });
    expect(parseRotateArgs(['client-secret', 'acme', '--grace', '600'])).toEqual({ what: 'client-secret', positional: ['acme'], grace: 600 });
    expect(parseRotateArgs(['subscription-secret', 'acme', '12'])).toMatchObject({ what: 'subscription-secret', positional: ['acme', '12'] });
    expect(parseRotateArgs(['inbound-secret', 'acme', 'shopify'])).toMatchObject({ what: 'inbound-secret', positional: ['acme', 'shopify'] });
  });

  it('explains what is wrong', () => {
    expect(parseRotateArgs([])).toMatch(/one of signing-key/);
    expect(parseRotateArgs(['client-secret'])).toMatch(/takes 1 argument/);
    expect(parseRotateArgs(['client-secret', 'Not A Code'])).toMatch(/not a partner code/);
    expect(parseRotateArgs(['subscription-secret', 'acme', 'x'])).toMatch(/not a subscription id/);
    expect(parseRotateArgs(['inbound-secret', 'acme', 'paypal'])).toMatch(/provider/);
    expect(parseRotateArgs(['signing-key', '--grace', 'soon'])).toMatch(/--grace/);
    expect(parseRotateArgs(['signing-key', '--force'])).toMatch(/unknown option/);
  });
});
