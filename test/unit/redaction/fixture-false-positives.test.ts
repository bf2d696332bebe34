import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSessionBytes } from '../../../shared/parsers/parse-session.js';
import { selectParser } from '../../../shared/parsers/registry.js';
import type { RecordSink } from '../../../shared/model.js';
import { RedactingSink, type SecretFinding } from '../../../shared/redaction/redacting-sink.js';

/**
 * The scanner on the real sessions of test/fixtures (public logs, no real secret in them): whatever it reports
 * there is a false positive, and each must be listed here with the reason it is tolerated. The fixtures are full
 * of hashes, UUIDs and git SHAs, none of which is a secret.
 */

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

/** file (relative to test/fixtures), field, rule → why it is accepted. Empty: the fixtures produce none. */
const ACCEPTED_FALSE_POSITIVES: { file: string; field: string; rule: string; reason: string }[] = [];

async function jsonlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.jsonl'))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

describe('redaction on the fixture sessions', () => {
  it('reports only the listed false positives, and the corpus is full of hashes, UUIDs and SHAs', async () => {
    const reported: { file: string; field: string; rule: string }[] = [];
    const lookalikes = { uuids: 0, hexDigests: 0 };
    const files = await jsonlFiles(FIXTURES);
    for (const file of files) {
      const raw = await readFile(file, 'utf8');
      lookalikes.uuids += raw.match(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g)?.length ?? 0;
      lookalikes.hexDigests += raw.match(/\b[0-9a-f]{32,64}\b/g)?.length ?? 0;
      const findings: SecretFinding[] = [];
      const collected = await parseSessionBytes(raw, selectParser(null), {
        fileStem: path.basename(file, '.jsonl'), projectDir: null, parentSourceSessionId: null,
      });
      const sink = new RedactingSink({ message: () => {}, toolCall: () => {}, revise: () => {} } satisfies RecordSink, { add: (f) => findings.push(f) });
      for (const message of collected.messages) sink.message(message);
      for (const call of collected.toolCalls) sink.toolCall(call);
      if (collected.outcome.result !== null) sink.redactSummary(collected.outcome.result.summary);
      for (const finding of findings) {
        reported.push({ file: path.relative(FIXTURES, file), field: finding.field, rule: finding.rule });
      }
    }

    expect(files.length).toBeGreaterThan(30);
    expect(lookalikes.uuids).toBeGreaterThan(100);
    expect(lookalikes.hexDigests).toBeGreaterThan(0);
    expect(reported).toEqual(ACCEPTED_FALSE_POSITIVES.map(({ file, field, rule }) => ({ file, field, rule })));
  });
});
