/**
 * The admin key: OUTPOST_ADMIN_KEY, or one generated into the data dir at first
 * start (file mode 0600) and printed once on stderr so the operator can copy it.
 */
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function loadAdminKey(configured: string | undefined, dataDir: string, announce: (key: string, file: string) => void): Promise<string> {
  if (configured) return configured;
  const file = path.join(dataDir, 'admin.key');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = `opadmin_${randomBytes(32).toString('base64url')}`;
  await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  announce(key, file);
  return key;
}

/** Constant-time comparison of a presented key with the admin key. */
export function isAdminKey(presented: string, adminKey: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(adminKey));
}
