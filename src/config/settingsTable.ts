// Markdown table of the `localGpt.*` settings, generated from package.json (the manifest is the source of
// truth). README.md holds a copy between the SETTINGS markers; test/unit/config/settingsTable.test.ts checks
// it is current (run it with UPDATE_README=1 to rewrite the copy).
import manifest from '../../package.json';

interface PropertyDoc {
  type: string;
  default: unknown;
  minimum?: number;
  maximum?: number;
  enum?: readonly string[];
  markdownDescription?: string;
  description?: string;
}

const README_BEGIN = '<!-- SETTINGS:BEGIN (generated from package.json by src/config/settingsTable.ts) -->';
const README_END = '<!-- SETTINGS:END -->';

export function settingsTable(): string {
  const props = manifest.contributes.configuration.properties as Record<string, PropertyDoc>;
  const rows = Object.entries(props).map(([key, p]) => {
    const type = p.enum ? p.enum.map((e) => `\`${e}\``).join(' \\| ') : p.type;
    const range = p.minimum !== undefined || p.maximum !== undefined ? ` ${p.minimum ?? '…'}..${p.maximum ?? '…'}` : '';
    const description = (p.markdownDescription ?? p.description ?? '').replace(/`#(localGpt\.[\w.]+)#`/g, '`$1`').replace(/\|/g, '\\|').replace(/\n/g, ' ');
    return `| \`${key}\` | ${type}${range} | \`${JSON.stringify(p.default)}\` | ${description} |`;
  });
  return ['| Setting | Type | Default | Description |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** README text with the generated table between the markers. */
export function withSettingsTable(readme: string): string {
  const begin = readme.indexOf(README_BEGIN);
  const end = readme.indexOf(README_END);
  if (begin < 0 || end < begin) throw new Error(`README.md: markers ${README_BEGIN} … ${README_END} not found`);
  return `${readme.slice(0, begin)}${README_BEGIN}\n${settingsTable()}\n${readme.slice(end)}`;
}
