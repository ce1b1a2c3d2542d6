import type { Migration } from './store.js';

/**
 * Every schema change of the gateway's store, in order. Features append theirs; an applied
 * migration is never edited, only followed by a new one.
 */
export const migrations: Migration[] = [];
