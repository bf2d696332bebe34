import { createHash } from 'node:crypto';
import { PIECE_SEPARATOR } from '../parsers/joined-text.js';
import { RULES, type KeywordHit, type SecretMatch, type SecretRule } from './rules.js';

/**
 * Finds secrets in one text and replaces each with `[REDACTED:<rule>:<short hash>]`. Pure: text in, text out.
 * Cost is bounded: one keyword pass over the text (most text has no keyword and costs only that pass), then only
 * the rules whose keywords occur, each linear in the text (see rules.ts).
 */

export interface Finding {
  rule: string;
  /** First 12 hex digits of the secret's SHA-256: the same secret gives the same hash wherever it leaked. */
  hash: string;
}

export interface Redaction {
  /** The input itself (the same string) when nothing was found. */
  text: string;
  findings: Finding[];
}

const NOTHING: Redaction['findings'] = [];
const NO_MATCHES: readonly RuleMatch[] = [];
const CLEAN_CACHE_MAX_LENGTH = 64;
const CLEAN_CACHE_ENTRIES = 10_000;
const GENERIC = 'generic-api-key';
interface RuleMatch extends SecretMatch {
  rule: string;
  /** Set when found with the separators at these joints taken out: the secret spans pieces. */
  joints?: readonly number[];
}

export class SecretScanner {
  private readonly keywordPattern: RegExp;
  private readonly rulesByKeyword = new Map<string, SecretRule[]>();
  private readonly clean = new Set<string>();

  constructor(private readonly rules: readonly SecretRule[] = RULES) {
    for (const rule of rules) {
      for (const keyword of rule.keywords) {
        const list = this.rulesByKeyword.get(keyword) ?? [];
        list.push(rule);
        this.rulesByKeyword.set(keyword, list);
      }
    }
    // Longest first, so a keyword that contains another (`passwd`, `password`) is the one reported.
    const source = [...this.rulesByKeyword.keys()]
      .sort((a, b) => b.length - a.length)
      .map((keyword) => keyword.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&'))
      .join('|');
    this.keywordPattern = new RegExp(source, 'gi');
  }

  /**
   * `joints`: where the text was joined from pieces, the index of each separator put between two (shared/parsers/
   * joined-text.ts). The text is then scanned a second time without those separators: a secret split between
   * pieces is found whole, and each of its parts is replaced by its marker (the separators are kept).
   */
  redact(text: string, joints?: readonly number[]): Redaction {
    // Short strings repeat (JSON keys, usage fields, tool names): one found clean is not scanned again.
    const short = text.length <= CLEAN_CACHE_MAX_LENGTH && joints === undefined;
    if (short && this.clean.has(text)) return { text, findings: NOTHING };
    const redaction = this.redactOnce(text, joints);
    if (short && redaction.findings.length === 0) {
      if (this.clean.size >= CLEAN_CACHE_ENTRIES) this.clean.clear();
      this.clean.add(text);
    }
    return redaction;
  }

  private redactOnce(text: string, joints: readonly number[] | undefined): Redaction {
    const direct = this.matches(text, undefined);
    const separators = joints?.filter((joint, i) => text.startsWith(PIECE_SEPARATOR, joint) && (i === 0 || joint > (joints[i - 1] ?? 0)));
    const crossing = separators === undefined || separators.length === 0 ? NO_MATCHES : this.crossingMatches(text, separators);
    if (direct.length === 0 && crossing.length === 0) return { text, findings: NOTHING };
    const matches = [...direct, ...crossing];
    // Earliest first, then longest; on a tie a named rule wins over the generic one.
    matches.sort((a, b) => a.start - b.start || b.end - a.end || Number(a.rule === GENERIC) - Number(b.rule === GENERIC));
    const parts: string[] = [];
    const findings: Finding[] = [];
    let copied = 0;
    for (const match of matches) {
      // A match within a secret already replaced adds nothing; one that reaches past it has its rest replaced
      // too (a secret found across pieces and one the text shows may overlap either way).
      if (match.end <= copied) continue;
      const start = Math.max(match.start, copied);
      const hash = shortHash(match.secret);
      const marker = `[REDACTED:${match.rule}:${hash}]`;
      parts.push(text.slice(copied, start), match.joints === undefined ? marker : replacePieces(text, start, match.end, match.joints, marker));
      findings.push({ rule: match.rule, hash });
      copied = match.end;
    }
    parts.push(text.slice(copied));
    return { text: parts.join(''), findings };
  }

  private matches(text: string, joints: ReadonlySet<number> | undefined): readonly RuleMatch[] {
    const hits = this.keywordHits(text);
    if (hits === null) return NO_MATCHES;
    const matches: RuleMatch[] = [];
    for (const [rule, keywordAt] of hits) {
      for (const match of rule.find(text, keywordAt, joints)) matches.push({ ...match, rule: rule.id });
    }
    return matches;
  }

  /** Secrets found in the text without the separators at `joints` that span one, in the text's own positions. */
  private crossingMatches(text: string, joints: readonly number[]): RuleMatch[] {
    const { joined, origin, at } = withoutSeparators(text, joints);
    const found: RuleMatch[] = [];
    for (const match of this.matches(joined, new Set(at))) {
      if (!spansJoint(at, match.start, match.end)) continue;
      const start = origin[match.start] ?? 0;
      const end = (origin[match.end - 1] ?? 0) + 1;
      found.push({ rule: match.rule, start, end, secret: match.secret, joints });
    }
    return found;
  }

  /**
   * The rules whose keywords occur in the text, each with where its keywords start; null when none occurs.
   * Matches may overlap (`redisecret` holds `redis` and `secret`): the search resumes one character on.
   */
  private keywordHits(text: string): Map<SecretRule, KeywordHit[]> | null {
    let hits: Map<SecretRule, KeywordHit[]> | null = null;
    const pattern = this.keywordPattern;
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      const keyword = match[0].toLowerCase();
      for (const rule of this.rulesByKeyword.get(keyword) ?? []) {
        hits ??= new Map();
        const list = hits.get(rule);
        if (list === undefined) hits.set(rule, [{ index: match.index, keyword }]);
        else list.push({ index: match.index, keyword });
      }
      pattern.lastIndex = match.index + 1;
    }
    return hits;
  }
}

/**
 * The text without the separators at `joints`: `origin[i]` is where `joined[i]` is in the text, `at` where each
 * separator was in `joined` (ascending).
 */
function withoutSeparators(text: string, joints: readonly number[]): { joined: string; origin: Int32Array; at: number[] } {
  const origin = new Int32Array(text.length - joints.length * PIECE_SEPARATOR.length);
  const pieces: string[] = [];
  const at: number[] = [];
  let from = 0;
  let length = 0;
  for (const joint of [...joints, text.length]) {
    const piece = text.slice(from, joint);
    for (let i = 0; i < piece.length; i += 1) origin[length + i] = from + i;
    pieces.push(piece);
    length += piece.length;
    if (joint < text.length) at.push(length);
    from = joint + PIECE_SEPARATOR.length;
  }
  return { joined: pieces.join(''), origin, at };
}

/** text[from, to) with each piece between the joints in it replaced by the marker (empty pieces stay empty). */
function replacePieces(text: string, from: number, to: number, joints: readonly number[], marker: string): string {
  const out: string[] = [];
  let start = from;
  for (const joint of joints) {
    if (joint < from || joint >= to) continue;
    out.push(joint > start ? marker : '', PIECE_SEPARATOR);
    start = joint + PIECE_SEPARATOR.length;
  }
  out.push(to > start ? marker : '');
  return out.join('');
}

/** Whether a joint lies strictly inside [start, end) (joints ascending). */
function spansJoint(joints: readonly number[], start: number, end: number): boolean {
  let low = 0;
  let high = joints.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((joints[mid] ?? 0) <= start) low = mid + 1;
    else high = mid;
  }
  return low < joints.length && (joints[low] ?? Infinity) < end;
}

export function shortHash(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex').slice(0, 12);
}
