import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from 'node:crypto';
const key = randomBytes(32), iv = randomBytes(12), pt = randomBytes(512);
const c = createCipheriv('aes-256-gcm', key, iv); const ct = Buffer.concat([c.update(pt), c.final()]); const tag = c.getAuthTag();
const ko = createSecretKey(key);
const fns: Record<string, () => void> = {
  full: () => { const d = createDecipheriv('aes-256-gcm', key, iv); d.setAuthTag(tag); d.update(ct); d.final(); },
  fullKeyObject: () => { const d = createDecipheriv('aes-256-gcm', ko, iv); d.setAuthTag(tag); d.update(ct); d.final(); },
  createOnly: () => { createDecipheriv('aes-256-gcm', key, iv); },
  ecbUpdate: (() => { const e = createCipheriv('aes-256-ecb', key, null); e.setAutoPadding(false); const b = Buffer.alloc(16 * 34); return () => { e.update(b); }; })(),
};
const res: Record<string, number[]> = {};
for (let r = 0; r < 15; r++) for (const [n, f] of Object.entries(fns)) { const t0 = performance.now(); let k = 0; while (performance.now() - t0 < 50) { for (let i = 0; i < 20; i++) f(); k += 20; } (res[n] ??= []).push((performance.now() - t0) * 1000 / k); }
for (const [n, v] of Object.entries(res)) { v.sort((a, b) => a - b); console.log(n.padEnd(16), v[7]!.toFixed(2), 'µs'); }
