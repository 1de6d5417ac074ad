import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gatherContext } from '../../../src/completion/context';
import { buildPrompt, headerLine } from '../../../src/completion/prompt';
import type { FimOrder } from '../../../src/engine/protocol';
import { withCursor } from './cursor';

interface GoldenCase {
  name: string;
  languageId: string;
  relativePath: string;
  fim: FimOrder | false;
  document: string;
  prompt: string;
  format: 'prefix' | 'fim';
}

const golden = JSON.parse(fs.readFileSync(path.join(__dirname, 'golden/prompt.json'), 'utf8')) as { cases: GoldenCase[] };

describe('completion/prompt (golden cases)', () => {
  for (const c of golden.cases) {
    it(c.name, () => {
      const context = gatherContext(withCursor(c.document, c.languageId, c.relativePath), { prefixTokens: 512, suffixTokens: 64, charsPerToken: 3 });
      const prompt = buildPrompt(context, { fim: c.fim });
      assert.equal(prompt.text, c.prompt);
      assert.equal(prompt.format, c.format);
    });
  }

  it('header lines per comment style', () => {
    assert.equal(headerLine('javascript', 'lib/x.js'), '// lib/x.js');
    assert.equal(headerLine('shellscript', 'run.sh'), '# run.sh');
    assert.equal(headerLine('sql', 'q.sql'), '-- q.sql');
    assert.equal(headerLine('html', 'index.html'), '<!-- index.html -->');
  });
});
