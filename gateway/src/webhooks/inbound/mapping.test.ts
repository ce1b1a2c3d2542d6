import { describe, expect, it } from 'vitest';
import { discountPercent, fromMicros, fromMinorUnits, MappingError, perUnit, timestamp, toMicros } from './mapping.js';

describe('money arithmetic', () => {
  it('adds decimal strings exactly', () => {
    expect(fromMicros(toMicros('0.1', 'a') + toMicros('0.2', 'b'))).toBe('0.30');
    expect(fromMicros(toMicros('19.99', 'a') * 3n)).toBe('59.97');
    expect(fromMicros(toMicros(89.99, 'a'))).toBe('89.99');
  });

  it('divides a line total per unit, rounding half up to the millionth', () => {
    expect(fromMicros(perUnit(toMicros('10.00', 't'), 3, 'q'))).toBe('3.333333');
    expect(fromMicros(perUnit(toMicros('6.00', 't'), 2, 'q'))).toBe('3.00');
    expect(() => perUnit(1n, 1.5, 'q')).toThrow(MappingError);
  });

  it('turns Stripe minor units into decimals by currency exponent', () => {
    expect(fromMinorUnits(1099, 'USD', 'x')).toBe('10.99');
    expect(fromMinorUnits(500, 'JPY', 'x')).toBe('500.00');
    expect(fromMinorUnits(1234, 'KWD', 'x')).toBe('1.234');
  });

  it('expresses a discount as a percentage', () => {
    expect(discountPercent(toMicros('90', 'a'), toMicros('9', 'b'))).toBe('10');
    expect(discountPercent(toMicros('3', 'a'), toMicros('1', 'b'))).toBe('33.3333');
    expect(discountPercent(0n, 0n)).toBe('0');
  });

  it('refuses what is not a decimal amount', () => {
    expect(() => toMicros('12,50', 'price')).toThrow(MappingError);
    expect(() => toMicros('1.1234567', 'price')).toThrow(MappingError);
  });
});

describe('timestamp', () => {
  it('keeps offsets and reads naive times as UTC when told to', () => {
    expect(timestamp('2021-12-31T19:00:00-05:00', 't')).toBe('2021-12-31T19:00:00-05:00');
    expect(timestamp('2017-03-22T19:28:02', 't', true)).toBe('2017-03-22T19:28:02Z');
    expect(() => timestamp('2017-03-22T19:28:02', 't')).toThrow(MappingError);
  });
});
