/** In Node the default backend is the native one (node:crypto, libsecp256k1). */
import type { CryptoBackend } from './backend.js';
import { nodeBackend } from './node-backend.js';

/** The backend used when a caller passes none. */
export const defaultBackend: CryptoBackend = nodeBackend;
