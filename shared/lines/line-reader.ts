/**
 * The one streaming JSONL line reader: bytes in, lines with their position out.
 * Handles LF and CRLF endings, a UTF-8 BOM at the start, and lines longer than the limit (reported, not buffered).
 * Invalid UTF-8 becomes U+FFFD rather than an error: one bad byte must not lose a session.
 */

export interface RawLine {
  /** The line without its line ending (and without the BOM on line 1). */
  text: string;
  /** 1-based. */
  lineNumber: number;
  /** Offset of the line's first byte in the object. */
  byteOffset: number;
  /** Bytes of the line including its line ending. */
  byteLength: number;
  /** True when a `\n` ended the line; false only for a final line the object did not finish. */
  terminated: boolean;
  /** The line exceeded `maxLineBytes`; `text` is empty and its bytes were skipped. */
  tooLong: boolean;
  /** The line was not valid UTF-8; the bad bytes became U+FFFD in `text`. */
  invalidUtf8: boolean;
}

export interface ReadLinesOptions {
  /** Longest line kept, in bytes (default 64 MiB). */
  maxLineBytes?: number;
  /**
   * Where `source` starts in the object, for a read resumed at a line boundary (delta ingest): offsets and
   * line numbers continue from there, and no BOM is looked for (only the object's first bytes can hold one).
   */
  start?: { byteOffset: number; linesBefore: number };
}

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const BOM = [0xef, 0xbb, 0xbf] as const;

export async function* readLines(
  source: AsyncIterable<Uint8Array>,
  options: ReadLinesOptions = {},
): AsyncGenerator<RawLine> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const lenientDecoder = new TextDecoder('utf-8');
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let overLimit = false;
  let lineStart = options.start?.byteOffset ?? 0;
  let lineNumber = options.start?.linesBefore ?? 0;
  const bomPossible = lineStart === 0;

  const finishLine = (last: Uint8Array, terminated: boolean): RawLine => {
    lineNumber += 1;
    const byteLength = pendingBytes + last.length + (terminated ? 1 : 0);
    let text = '';
    let invalidUtf8 = false;
    if (!overLimit) {
      let bytes = pending.length === 0 ? last : concat([...pending, last], pendingBytes + last.length);
      if (bomPossible && lineNumber === 1 && startsWithBom(bytes)) bytes = bytes.subarray(BOM.length);
      if (terminated && bytes.length > 0 && bytes[bytes.length - 1] === CARRIAGE_RETURN) {
        bytes = bytes.subarray(0, bytes.length - 1);
      }
      try {
        text = decoder.decode(bytes);
      } catch {
        // Only the rare bad line pays for a second, lenient decode.
        text = lenientDecoder.decode(bytes);
        invalidUtf8 = true;
      }
    }
    const line: RawLine = { text, lineNumber, byteOffset: lineStart, byteLength, terminated, tooLong: overLimit, invalidUtf8 };
    lineStart += byteLength;
    pending = [];
    pendingBytes = 0;
    overLimit = false;
    return line;
  };

  for await (const chunk of source) {
    let from = 0;
    while (from < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, from);
      const end = newline === -1 ? chunk.length : newline;
      const piece = chunk.subarray(from, end);
      if (newline === -1) {
        hold(piece);
        from = chunk.length;
      } else {
        if (overLimit || pendingBytes + piece.length > maxLineBytes) {
          overLimit = true;
          pendingBytes += piece.length;
          yield finishLine(new Uint8Array(0), true);
        } else {
          yield finishLine(piece, true);
        }
        from = newline + 1;
      }
    }
  }
  if (pendingBytes > 0) yield finishLine(new Uint8Array(0), false);

  function hold(piece: Uint8Array): void {
    if (piece.length === 0) return;
    if (!overLimit && pendingBytes + piece.length > maxLineBytes) {
      overLimit = true;
      pending = [];
    }
    // Chunks from a stream may be reused by their producer; keep our own copy of what we hold.
    if (!overLimit) pending.push(piece.slice());
    pendingBytes += piece.length;
  }
}

function startsWithBom(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2];
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
