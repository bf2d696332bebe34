import type { DraftRow } from './rows.js';

/** A row leaving the resolver, in line order; `isPrompt` marks what the user typed. */
export interface ReleasedRow {
  row: DraftRow;
  isPrompt: boolean;
}

type Held =
  /** A row queued behind undecided user input, to keep line order. */
  | { kind: 'row'; row: DraftRow; isPrompt: boolean }
  /** A response_item user message that may be the prompt or injected context. */
  | { kind: 'candidate'; row: DraftRow; text: string | null }
  /** An event_msg user_message still waiting for its response_item twin. */
  | { kind: 'event'; row: DraftRow; text: string | null };

/** Far more than a turn's preamble; past it the input is settled as if the model had answered. */
const MAX_HELD = 256;

/**
 * Decides which user-role messages are prompts, storing each prompt once.
 *
 * Codex writes every prompt twice: a response_item `message` (role user) and an event_msg `user_message`.
 * Only prompts get the event; the harness's own user-role preamble (AGENTS.md, environment context,
 * skills…) does not. The event follows its twin (Codex ≤ 0.10x) or comes first (newer versions), always
 * before the model answers. So user messages are held until their event arrives or the model acts:
 * - an event pairs with the held message of the same text, else with the last one held (the prompt comes
 *   after the preamble); the other held messages are context;
 * - an event with nothing held waits for the next user message, which becomes its twin;
 * - when the model acts first, held messages are prompts only if this file has never shown an event
 *   (old and hand-written logs have none); an unpaired event becomes a prompt row of its own.
 * The response_item is the stored source; the event's text is stored only when it has no twin.
 */
export class PromptResolver {
  private held: Held[] = [];
  private eventsSeen = false;

  constructor(state?: { eventsSeen: boolean }) {
    this.eventsSeen = state?.eventsSeen ?? false;
  }

  /** Null while user input is held undecided: its rows have no place yet (see resume-state.ts). */
  snapshot(): { eventsSeen: boolean } | null {
    return this.held.length === 0 ? { eventsSeen: this.eventsSeen } : null;
  }

  /** Anything that is neither user input nor model activity: developer messages, context, boundaries. */
  row(row: DraftRow): ReleasedRow[] {
    if (this.held.length === 0) return [{ row, isPrompt: false }];
    this.held.push({ kind: 'row', row, isPrompt: false });
    return this.held.length > MAX_HELD ? this.settle() : [];
  }

  /** A response_item user message whose text is not recognisably injected. */
  userItem(row: DraftRow, text: string | null): ReleasedRow[] {
    const eventIndex = this.held.findIndex((held) => held.kind === 'event');
    if (eventIndex === -1) {
      this.held.push({ kind: 'candidate', row, text });
      return this.held.length > MAX_HELD ? this.settle() : [];
    }
    this.held.splice(eventIndex, 1);
    this.held.push({ kind: 'row', row: { ...row, role: 'user' }, isPrompt: true });
    return this.releaseIfDecided();
  }

  /** An event_msg user_message. */
  userEvent(row: DraftRow, text: string | null): ReleasedRow[] {
    this.eventsSeen = true;
    const candidates = this.held.filter((held) => held.kind === 'candidate');
    if (candidates.length === 0) {
      this.held.push({ kind: 'event', row, text });
      return this.held.length > MAX_HELD ? this.settle() : [];
    }
    const twin = candidates.find((held) => held.text === text) ?? candidates[candidates.length - 1];
    this.held = this.held.map((held): Held => {
      if (held.kind !== 'candidate') return held;
      const isPrompt = held === twin;
      return { kind: 'row', row: { ...held.row, role: isPrompt ? 'user' : 'system' }, isPrompt };
    });
    return this.releaseIfDecided();
  }

  /** The model acted (or the turn or file ended): nothing held can still be paired. */
  settle(): ReleasedRow[] {
    const released = this.held.map((held): ReleasedRow => {
      switch (held.kind) {
        case 'row':
          return { row: held.row, isPrompt: held.isPrompt };
        case 'event':
          return { row: held.row, isPrompt: true };
        case 'candidate': {
          const isPrompt = !this.eventsSeen;
          return { row: { ...held.row, role: isPrompt ? 'user' : 'system' }, isPrompt };
        }
      }
    });
    this.held = [];
    return released;
  }

  private releaseIfDecided(): ReleasedRow[] {
    return this.held.every((held) => held.kind === 'row') ? this.settle() : [];
  }
}
