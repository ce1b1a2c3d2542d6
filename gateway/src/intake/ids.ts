import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * A new intake id: `<prefix>_` + 10 characters of time (ms, Crockford base32, so ids sort by
 * acceptance) + 12 random characters (60 bits).
 */
export function newIntakeId(prefix: string, now = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(12);
  let rand = '';
  for (const b of bytes) rand += ALPHABET[b & 31];
  return `${prefix}_${time}${rand}`;
}

/** Whether a path parameter can be an intake id at all (cheap check before a store lookup). */
export const INTAKE_ID = /^[a-z]{3}_[0-9a-z]{22}$/;
