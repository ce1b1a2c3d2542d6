import { describe, expect, it } from 'vitest';
import { parseProviderJson } from './json.js';

describe('parseProviderJson', () => {
  it('keeps integers beyond 2^53 as their exact digits', () => {
    expect(parseProviderJson('{"id": 820982911946154508, "order_id":890088186047892319}')).toEqual({ id: '820982911946154508', order_id: '890088186047892319' });
    expect(String((JSON.parse('{"id": 820982911946154508}') as { id: number }).id)).not.toBe('820982911946154508');
  });

  it('leaves strings, small numbers, fractions and exponents alone', () => {
    expect(parseProviderJson('{"s":"x\\"1234567890123456789","n":12,"f":0.12345678901234567,"e":1e1234567890123456,"a":[1234567890123456789 ,2]}')).toEqual({
      s: 'x"1234567890123456789',
      n: 12,
      f: JSON.parse('0.12345678901234567') as number,
      e: Infinity,
      a: ['1234567890123456789', 2],
    });
  });
});
