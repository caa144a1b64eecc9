/**
 * The README's plugin example, read from README.md itself (the ```ts block of
 * "Writing a plugin" that defines `recipient-cap`), so the tests run exactly
 * what a reader copies.
 */
import { readFile } from 'node:fs/promises';
import { REPO_ROOT } from './outpost-process.js';

export async function readmePluginExample(): Promise<string> {
  const readme = await readFile(`${REPO_ROOT}README.md`, 'utf8');
  const section = readme.slice(readme.indexOf('## Writing a plugin'));
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  if (!block || !block[1]!.includes("name: 'recipient-cap'")) throw new Error('README.md has no recipient-cap example under "Writing a plugin"');
  return block[1]!;
}
