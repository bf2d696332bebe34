import type { Random } from './random.js';

/**
 * Session logs for the chaos run, generated from a seed in the shapes the parsers read: Claude Code sessions
 * (with tool calls, usage, responses split over lines, subagent files, tool outputs saved to sidecars) and Codex
 * rollouts (turns, function calls, token_count events). Each object's content is a list of lines; growing it
 * appends lines, so a rewrite can be "the same session, longer" or "a shorter, different one".
 */

export interface SessionDraft {
  lines: string[];
  /** Sidecar file names (under the session's tool-results/) its tool results point to. */
  sidecars: string[];
}

const MODELS = ['claude-sonnet-4-5-20250929', 'claude-opus-4-1-20250805', 'claude-haiku-4-5-20251001'];
const TOOLS = ['Bash', 'Read', 'Edit', 'Grep'];

export function claudeTurns(random: Random, sessionId: string, project: string, turns: number, options: { withSidecar: boolean; start: number }): SessionDraft {
  const lines: string[] = [];
  const sidecars: string[] = [];
  const cwd = `/home/dev/${project}`;
  let clock = Date.UTC(2026, 9, 1) + options.start * 60_000;
  const stamp = () => new Date((clock += random.int(500, 20_000))).toISOString();
  for (let turn = 0; turn < turns; turn += 1) {
    const n = options.start + turn;
    lines.push(JSON.stringify({ type: 'user', sessionId, cwd, uuid: `u-${n}`, timestamp: stamp(), message: { role: 'user', content: `task ${n}: ${random.hex(12)}` } }));
    const messageId = `msg_${random.hex(16)}`;
    const requestId = `req_${random.hex(16)}`;
    const model = random.pick(MODELS);
    const toolId = `toolu_${random.hex(20)}`;
    const usage = { input_tokens: random.int(1, 5000), output_tokens: random.int(1, 3000), cache_read_input_tokens: random.int(0, 90_000), cache_creation_input_tokens: random.int(0, 5000) };
    // One response over two lines (text, then tool_use) with growing usage, as Claude Code writes it.
    lines.push(JSON.stringify({ type: 'assistant', sessionId, cwd, uuid: `a-${n}-1`, requestId, timestamp: stamp(), message: { id: messageId, model, role: 'assistant', content: [{ type: 'text', text: `working on ${n}` }], usage: { ...usage, output_tokens: Math.max(1, usage.output_tokens >> 1) } } }));
    lines.push(JSON.stringify({ type: 'assistant', sessionId, cwd, uuid: `a-${n}-2`, requestId, timestamp: stamp(), message: { id: messageId, model, role: 'assistant', content: [{ type: 'tool_use', id: toolId, name: random.pick(TOOLS), input: { command: `run ${random.hex(6)}` } }], usage } }));
    const saved = options.withSidecar && turn === 0;
    let result = `output ${random.hex(24)}`;
    const extra: Record<string, unknown> = {};
    if (saved) {
      const file = `${toolId}.txt`;
      sidecars.push(file);
      const recorded = `/home/dev/.claude/projects/-home-dev-${project}/${sessionId}/tool-results/${file}`;
      result = `<persisted-output>\nOutput too large (40.0KB). Full output saved to: ${recorded}\n\nPreview (first 2KB):\n${result}\n</persisted-output>`;
      extra['toolUseResult'] = { persistedOutputPath: recorded };
    }
    lines.push(JSON.stringify({ type: 'user', sessionId, cwd, uuid: `r-${n}`, timestamp: stamp(), message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolId, content: result }] }, ...extra }));
  }
  return { lines, sidecars };
}

export function codexTurns(random: Random, sessionId: string, turns: number, options: { start: number; totals: number[] }): string[] {
  const lines: string[] = [];
  let clock = Date.UTC(2026, 9, 2) + options.start * 60_000;
  const stamp = () => new Date((clock += random.int(500, 20_000))).toISOString();
  if (options.start === 0) {
    lines.push(JSON.stringify({ timestamp: stamp(), type: 'session_meta', payload: { id: sessionId, cwd: `/home/dev/codex-${sessionId.slice(0, 4)}`, source: 'cli', cli_version: '0.60.0', timestamp: stamp() } }));
  }
  const totals = options.totals;
  for (let turn = 0; turn < turns; turn += 1) {
    const turnId = `turn-${options.start + turn}`;
    const callId = `call_${random.hex(12)}`;
    lines.push(JSON.stringify({ timestamp: stamp(), type: 'turn_context', payload: { turn_id: turnId, model: random.pick(['gpt-5-codex', 'gpt-5']), cwd: '/home/dev/x' } }));
    lines.push(JSON.stringify({ timestamp: stamp(), type: 'response_item', payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text: `codex task ${random.hex(10)}` }] } }));
    lines.push(JSON.stringify({ timestamp: stamp(), type: 'response_item', payload: { type: 'function_call', name: 'shell', arguments: JSON.stringify({ command: ['ls', random.hex(4)] }), call_id: callId } }));
    lines.push(JSON.stringify({ timestamp: stamp(), type: 'response_item', payload: { type: 'function_call_output', call_id: callId, output: `files ${random.hex(16)}` } }));
    lines.push(JSON.stringify({ timestamp: stamp(), type: 'response_item', payload: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: `done ${random.hex(8)}` }] } }));
    const last = { input_tokens: random.int(100, 20_000), cached_input_tokens: 0, output_tokens: random.int(10, 4000), reasoning_output_tokens: random.int(0, 500) };
    last.cached_input_tokens = random.int(0, last.input_tokens);
    const [a = 0, b = 0, c = 0, d = 0] = totals;
    const total = { input_tokens: a + last.input_tokens, cached_input_tokens: b + last.cached_input_tokens, output_tokens: c + last.output_tokens, reasoning_output_tokens: d + last.reasoning_output_tokens };
    totals.splice(0, 4, total.input_tokens, total.cached_input_tokens, total.output_tokens, total.reasoning_output_tokens);
    lines.push(JSON.stringify({ timestamp: stamp(), type: 'event_msg', payload: { type: 'token_count', info: { total_token_usage: total, last_token_usage: last } } }));
  }
  return lines;
}
