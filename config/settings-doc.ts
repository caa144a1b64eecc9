/**
 * The README's table of variables, built from the settings table so the two
 * cannot drift apart: `npm run docs:settings` writes it between the markers,
 * and test/config/settings.test.ts fails when the README holds another one.
 */
import type { Setting } from './setting.js';

export const SETTINGS_BEGIN = '<!-- settings:begin -->';
export const SETTINGS_END = '<!-- settings:end -->';

/** A table cell: a `|` would end the cell early. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}

/** One markdown table row per setting, in the order given. */
export function settingsMarkdown(rows: Setting<unknown>[]): string {
  return [
    '| variable | default | meaning |',
    '|---|---|---|',
    // an empty default is spelled out; what empty then means is in the setting's doc
    ...rows.map((row) => `| \`${row.env}\` | ${row.default ? `\`${cell(row.default)}\`` : 'empty'} | ${cell(row.doc)} |`),
  ].join('\n');
}

function markerPositions(readme: string): { begin: number; end: number } {
  const begin = readme.indexOf(SETTINGS_BEGIN);
  const end = readme.indexOf(SETTINGS_END);
  if (begin < 0 || end < begin) throw new Error(`README.md needs the markers ${SETTINGS_BEGIN} and ${SETTINGS_END}, in that order, around the table of variables`);
  return { begin: begin + SETTINGS_BEGIN.length, end };
}

/** The table the README holds between the markers. */
export function readmeSettingsTable(readme: string): string {
  const { begin, end } = markerPositions(readme);
  return readme.slice(begin, end).trim();
}

/** The README with `table` between the markers; blank lines around it keep it a table in every markdown renderer. */
export function withSettingsTable(readme: string, table: string): string {
  const { begin, end } = markerPositions(readme);
  return `${readme.slice(0, begin)}\n\n${table}\n\n${readme.slice(end)}`;
}
