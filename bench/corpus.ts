/**
 * A corpus of realistic shape, built deterministically from the fixtures (same flags → same bytes):
 * long Claude sessions with subagents and big tool outputs, and long Codex rollouts. Long sessions are real
 * sessions repeated with their ids made unique per repetition, so deduplication and pairing work as on a
 * real long session.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export interface CorpusObject {
  key: string;
  bytes: Buffer;
  /** Session logs grow; sidecars and the like do not. */
  grows: boolean;
}

export interface CorpusShape {
  /** Total size to reach, in MiB. */
  totalMb: number;
  /** Size of one long session, in MiB. */
  sessionMb: number;
  /** Share of the bytes in Claude sessions (the rest: Codex rollouts). */
  claudeShare: number;
}

const fixture = (relative: string) => fileURLToPath(new URL(`../test/fixtures/${relative}`, import.meta.url));
const CLAUDE_SESSION = 'claude/projects/-path-to-Demo/5c0375b4-57a5-4f26-b12d-d022ee4e51b7.jsonl';
const CLAUDE_SUBAGENT = 'claude/projects/-tmp/0a1b2c3d-4e5f-4061-8071-2a3b4c5d6e7f/subagents/agent-a0ad4f44468bdf20d.jsonl';
const CODEX_ROLLOUT = 'codex/sessions/2026/02/23/rollout-2026-02-23T12-47-42-019c8a53-a0dd-7130-bcd7-95445d84846a.jsonl';
const ID_FIELDS = /"(id|call_id|tool_use_id|requestId|uuid|parentUuid|turn_id)":"/g;

async function lines(relative: string): Promise<string[]> {
  const text = await readFile(fixture(relative), 'utf8');
  return text.split('\n').filter((line) => line.trim() !== '');
}

/** The long real Claude session the corpus repeats, whole lines ending with a newline. */
export async function claudeSessionText(): Promise<string> {
  return `${(await lines(CLAUDE_SESSION)).join('\n')}\n`;
}

/** `body` with every id made unique to `tag`. */
export function retag(body: string, tag: string): string {
  return body.replace(ID_FIELDS, `"$1":"${tag}-`);
}

/** `body` with every line's session id replaced by `sessionId`. */
function ownSessionId(body: string, sessionId: string): string {
  return body.replace(/"sessionId":"[^"]*"/g, `"sessionId":"${sessionId}"`);
}

/** Repeats `source` lines (ids retagged per repetition) until `bytes` is reached; whole lines only. */
function grow(source: string[], bytes: number, tag: string, skipOnRepeat: (line: string) => boolean = () => false): string {
  const parts: string[] = [];
  let size = 0;
  for (let repetition = 0; size < bytes; repetition += 1) {
    for (const line of source) {
      if (repetition > 0 && skipOnRepeat(line)) continue;
      const part = `${retag(line, `${tag}r${repetition}`)}\n`;
      parts.push(part);
      size += Buffer.byteLength(part);
      if (size >= bytes) break;
    }
  }
  return parts.join('');
}

/** A user line carrying a large tool result, as a long `cat` or test run gives. */
function bigToolOutput(sessionId: string, index: number, bytes: number): string {
  const text = Array.from({ length: Math.ceil(bytes / 40) }, (_, i) => `output line ${index}.${i} ${'x'.repeat(20)}`).join('\n');
  const toolUseId = `toolu_big_${sessionId.slice(0, 8)}_${index}`;
  const use = {
    type: 'assistant',
    sessionId,
    uuid: `big-use-${index}`,
    timestamp: '2026-02-01T10:00:00.000Z',
    requestId: `req_big_${index}`,
    message: { id: `msg_big_${index}`, model: 'claude-sonnet-4-5', content: [{ type: 'tool_use', id: toolUseId, name: 'Bash', input: { command: 'cat big.log' } }], usage: { input_tokens: 10, output_tokens: 5 } },
  };
  const result = {
    type: 'user',
    sessionId,
    uuid: `big-result-${index}`,
    timestamp: '2026-02-01T10:00:01.000Z',
    message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUseId, content: text }] },
  };
  return `${JSON.stringify(use)}\n${JSON.stringify(result)}\n`;
}

export async function buildCorpus(shape: CorpusShape, machine = 'bench'): Promise<CorpusObject[]> {
  const [claude, subagent, codex] = await Promise.all([lines(CLAUDE_SESSION), lines(CLAUDE_SUBAGENT), lines(CODEX_ROLLOUT)]);
  const sessionBytes = Math.max(64 * 1024, Math.round(shape.sessionMb * 1024 * 1024));
  const totalBytes = shape.totalMb * 1024 * 1024;
  const objects: CorpusObject[] = [];
  let claudeBytes = 0;
  let codexBytes = 0;
  for (let index = 0; claudeBytes + codexBytes < totalBytes; index += 1) {
    const hex = index.toString(16).padStart(12, '0');
    if (claudeBytes / Math.max(1, claudeBytes + codexBytes) < shape.claudeShare) {
      const sessionId = `5c0375b4-57a5-4f26-b12d-${hex}`;
      const project = `${machine}/raw/claude/-home-bench-project-${index % 7}`;
      // One big tool output per 1 MiB of session: the lines that make memory per line matter.
      const bigOutputs = Array.from({ length: Math.max(1, Math.floor(sessionBytes / (1024 * 1024))) }, (_, i) => bigToolOutput(sessionId, i, 192 * 1024)).join('');
      // Each session's lines carry its own id (the file's name), as Claude Code writes them: sessions that shared
      // the fixture's id would all link to one another and wait on one another's link lock (session-writer.ts).
      const body = ownSessionId(grow(claude, sessionBytes - Buffer.byteLength(bigOutputs), `c${index}`), sessionId) + bigOutputs;
      objects.push({ key: `${project}/${sessionId}.jsonl`, bytes: Buffer.from(body), grows: true });
      claudeBytes += Buffer.byteLength(body);
      for (let agent = 0; agent < 2; agent += 1) {
        const agentBody = ownSessionId(grow(subagent, Math.round(sessionBytes / 16), `c${index}a${agent}`), `agent-${hex}${agent}`);
        objects.push({ key: `${project}/${sessionId}/subagents/agent-${hex}${agent}.jsonl`, bytes: Buffer.from(agentBody), grows: true });
        claudeBytes += Buffer.byteLength(agentBody);
      }
    } else {
      const body = grow(codex, sessionBytes, `x${index}`, (line) => line.includes('"type":"session_meta"'));
      objects.push({
        key: `${machine}/raw/codex/2026/02/${String(1 + (index % 28)).padStart(2, '0')}/rollout-2026-02-23T12-47-42-019c8a53-a0dd-7130-bcd7-${hex}.jsonl`,
        bytes: Buffer.from(body),
        grows: true,
      });
      codexBytes += Buffer.byteLength(body);
    }
  }
  return objects;
}

/**
 * About `fraction` of the object's size in new lines, as the session would have written them next: lines of
 * its own source, ids made unique to `tag`. Whole lines only.
 */
export function appendedLines(object: CorpusObject, fraction: number, tag: string): Buffer {
  const text = object.bytes.toString('utf8');
  const target = Math.max(1, Math.round(object.bytes.length * fraction));
  const source = text.split('\n').filter((line) => line !== '' && Buffer.byteLength(line) < target * 4);
  const parts: string[] = [];
  let size = 0;
  for (let index = 0; size < target && source.length > 0; index += 1) {
    const line = `${retag(source[index % source.length] ?? '', `${tag}${index}`)}\n`;
    parts.push(line);
    size += Buffer.byteLength(line);
  }
  return Buffer.from(parts.join(''));
}
