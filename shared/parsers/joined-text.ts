/**
 * Text a parser stores that it put together from pieces (a message's text blocks, a tool result's blocks, Codex
 * text items), joined with "\n". A secret split between two pieces is whole only without the separator, so the
 * row says where the separators are (`joints`) and the redaction scans the text without them as well
 * (shared/redaction/scanner.ts).
 */

export const PIECE_SEPARATOR = '\n';

export interface JoinedText {
  text: string;
  /** Index in `text` of each separator put between two pieces, ascending; empty for one piece. */
  joints: number[];
}

export function joinPieces(pieces: readonly string[]): JoinedText {
  const joints: number[] = [];
  let at = 0;
  for (const [index, piece] of pieces.entries()) {
    if (index > 0) {
      joints.push(at);
      at += PIECE_SEPARATOR.length;
    }
    at += piece.length;
  }
  return { text: pieces.join(PIECE_SEPARATOR), joints };
}

/** The joints worth carrying on a row: none when the text is one piece. */
export function jointsOf(joined: JoinedText | null): readonly number[] | undefined {
  return joined === null || joined.joints.length === 0 ? undefined : joined.joints;
}
