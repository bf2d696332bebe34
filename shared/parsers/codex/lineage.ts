const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/iu;

/** The creation time (Unix ms) a UUIDv7 carries in its first 48 bits; null for anything else. */
export function uuidV7Millis(value: string | null): number | null {
  if (value === null || !UUID_V7.test(value)) return null;
  return Number.parseInt(value.slice(0, 8) + value.slice(9, 13), 16);
}

/**
 * Recognises the parent history a forked or subagent rollout copies into itself.
 *
 * Codex writes a child rollout as: the child's own session_meta (naming its parent), then, when it inherits
 * history, the parent rollout's items as they were — starting with the ancestors' session_meta lines —
 * and only then the child's own turns. So, in a rollout whose first session_meta names a parent, a later
 * session_meta with another id opens the copied region. It closes at the first turn (turn_context or
 * task_started) that belongs to the child: a turn id that is a UUIDv7 minted no earlier than the child
 * session itself. Parent turns were minted before the fork. A turn id that is not a UUIDv7 (or none) cannot
 * be dated, and closes the region too: it is better to count a copy than to drop the child's own work.
 */
export interface ReplayGateState {
  isChild: boolean;
  childCreatedMs: number | null;
  copying: boolean;
}

export class ReplayGate {
  private isChild = false;
  private childCreatedMs: number | null = null;
  private copying = false;

  constructor(state?: ReplayGateState) {
    if (state === undefined) return;
    this.isChild = state.isChild;
    this.childCreatedMs = state.childCreatedMs;
    this.copying = state.copying;
  }

  snapshot(): ReplayGateState {
    return { isChild: this.isChild, childCreatedMs: this.childCreatedMs, copying: this.copying };
  }

  /** The rollout's own (first) session_meta. */
  ownSession(isChild: boolean, createdMs: number | null): void {
    this.isChild = isChild;
    this.childCreatedMs = createdMs;
  }

  /** A session_meta naming another session. Returns whether it opened (or continues) the copied region. */
  foreignSession(): boolean {
    if (this.isChild) this.copying = true;
    return this.copying;
  }

  /** A turn starts; it may be the child's first own turn. */
  turn(turnId: string | null): void {
    if (!this.copying) return;
    const minted = uuidV7Millis(turnId);
    if (minted === null || this.childCreatedMs === null || minted >= this.childCreatedMs) this.copying = false;
  }

  /** Whether the current line is part of the copied parent history. */
  get inCopiedHistory(): boolean {
    return this.copying;
  }
}
