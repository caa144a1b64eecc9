/**
 * `npm run docs:settings`: rewrites the README's table of variables from
 * config/settings.ts. Run it after adding or changing a setting; the settings
 * test fails until the README matches.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { settingRows } from '../config/setting.js';
import { SETTINGS } from '../config/settings.js';
import { settingsMarkdown, withSettingsTable } from '../config/settings-doc.js';

const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
const readme = await readFile(readmePath, 'utf8');
const updated = withSettingsTable(readme, settingsMarkdown(settingRows(SETTINGS)));
if (updated === readme) {
  console.log('README.md: table of variables already up to date');
} else {
  await writeFile(readmePath, updated);
  console.log(`README.md: table of variables rewritten (${settingRows(SETTINGS).length} settings)`);
}
