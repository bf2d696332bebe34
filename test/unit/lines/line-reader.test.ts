import { describe, expect, it } from 'vitest';
import { readLines, type RawLine } from '../../../shared/lines/line-reader.js';

async function collect(chunks: (string | Uint8Array)[], maxLineBytes?: number): Promise<RawLine[]> {
  async function* source() {
    for (const chunk of chunks) yield typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
  }
  const lines: RawLine[] = [];
  for await (const line of readLines(source(), maxLineBytes === undefined ? {} : { maxLineBytes })) lines.push(line);
  return lines;
}

describe('readLines', () => {
  it('splits LF and CRLF lines and reports 1-based numbers and byte offsets', async () => {
    const lines = await collect(['a\r\nbb\n', 'ccc\n']);

    expect(lines.map((l) => [l.text, l.lineNumber, l.byteOffset, l.byteLength, l.terminated])).toEqual([
      ['a', 1, 0, 3, true],
      ['bb', 2, 3, 3, true],
      ['ccc', 3, 6, 4, true],
    ]);
  });

  it('joins a line split across chunks, even inside a multi-byte character', async () => {
    const bytes = new TextEncoder().encode('{"t":"é✓"}\n');
    const splitAt = bytes.indexOf(0xe2) + 1; // inside the 3-byte ✓

    const lines = await collect([bytes.subarray(0, splitAt), bytes.subarray(splitAt)]);

    expect(lines).toHaveLength(1);
    expect(lines[0]?.text).toBe('{"t":"é✓"}');
  });

  it('drops a BOM at the start but counts its bytes in the offsets', async () => {
    const lines = await collect([new Uint8Array([0xef, 0xbb, 0xbf]), '{}\n{}\n']);

    expect(lines.map((l) => l.text)).toEqual(['{}', '{}']);
    expect(lines[1]?.byteOffset).toBe(6);
  });

  it('reports a final line without newline as not terminated', async () => {
    const lines = await collect(['one\ntwo']);

    expect(lines.map((l) => [l.text, l.terminated])).toEqual([
      ['one', true],
      ['two', false],
    ]);
  });

  it('skips an over-long line without holding it and keeps the lines around it', async () => {
    const lines = await collect(['ok\n', 'x'.repeat(30), 'y'.repeat(30), '\nfine\n'], 40);

    expect(lines.map((l) => [l.text, l.tooLong, l.byteLength])).toEqual([
      ['ok', false, 3],
      ['', true, 61],
      ['fine', false, 5],
    ]);
    expect(lines[2]?.byteOffset).toBe(64);
  });

  it('replaces invalid UTF-8 instead of failing', async () => {
    const lines = await collect([new Uint8Array([0x61, 0xff, 0x62, 0x0a])]);

    expect(lines[0]?.text).toBe('a\uFFFDb');
  });

  it('yields nothing for an empty object', async () => {
    expect(await collect([])).toEqual([]);
  });
});
