import { joinPieces, type JoinedText } from '../joined-text.js';
import { asString, asText, isRecord } from '../values.js';

/**
 * The pieces of a GenAI `Content.parts` list as Qwen Code writes them (`message.parts`): text, thought text
 * (`thought: true`), `functionCall` and `functionResponse` parts. Other part kinds (inlineData, fileData,
 * executableCode…) carry nothing stored here and are left out.
 */
export interface ReadParts {
  text: JoinedText | null;
  thinking: JoinedText | null;
  calls: FunctionCallPart[];
  responses: FunctionResponsePart[];
}

export interface FunctionCallPart {
  id: string | null;
  name: string;
  args: unknown;
}

export interface FunctionResponsePart {
  id: string | null;
  name: string | null;
  response: unknown;
}

export function readParts(parts: unknown): ReadParts {
  const texts: string[] = [];
  const thoughts: string[] = [];
  const calls: FunctionCallPart[] = [];
  const responses: FunctionResponsePart[] = [];
  if (Array.isArray(parts)) {
    for (const part of parts) {
      if (!isRecord(part)) continue;
      const text = asString(part['text']);
      if (text !== null) {
        if (part['thought'] === true) thoughts.push(text);
        else texts.push(text);
      }
      const call = part['functionCall'];
      if (isRecord(call)) calls.push({ id: asText(call['id']), name: asText(call['name']) ?? '<unnamed>', args: call['args'] ?? null });
      const response = part['functionResponse'];
      if (isRecord(response)) responses.push({ id: asText(response['id']), name: asText(response['name']), response: response['response'] ?? null });
    }
  }
  return { text: joined(texts), thinking: joined(thoughts), calls, responses };
}

function joined(pieces: string[]): JoinedText | null {
  const kept = pieces.filter((piece) => piece.length > 0);
  return kept.length === 0 ? null : joinPieces(kept);
}
