/** Outside Node the default backend is the pure-JS one. */
import type { CryptoBackend } from './backend.js';
import { nobleBackend } from './noble-backend.js';

/** The backend used when a caller passes none. */
export const defaultBackend: CryptoBackend = nobleBackend;
