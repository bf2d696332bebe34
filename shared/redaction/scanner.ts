import { createHash } from 'node:crypto';
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
const GENERIC = 'generic-api-key';

export class SecretScanner {
  private readonly keywordPattern: RegExp;
  private readonly rulesByKeyword = new Map<string, SecretRule[]>();

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

  redact(text: string): Redaction {
    const hits = this.keywordHits(text);
    if (hits === null) return { text, findings: NOTHING };
    const matches: (SecretMatch & { rule: string })[] = [];
    for (const [rule, keywordAt] of hits) {
      for (const match of rule.find(text, keywordAt)) matches.push({ ...match, rule: rule.id });
    }
    if (matches.length === 0) return { text, findings: NOTHING };
    // Earliest first, then longest; on a tie a named rule wins over the generic one.
    matches.sort((a, b) => a.start - b.start || b.end - a.end || Number(a.rule === GENERIC) - Number(b.rule === GENERIC));
    const parts: string[] = [];
    const findings: Finding[] = [];
    let copied = 0;
    for (const match of matches) {
      if (match.start < copied) continue; // overlaps a secret already replaced
      const hash = shortHash(match.secret);
      parts.push(text.slice(copied, match.start), `[REDACTED:${match.rule}:${hash}]`);
      findings.push({ rule: match.rule, hash });
      copied = match.end;
    }
    parts.push(text.slice(copied));
    return { text: parts.join(''), findings };
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

export function shortHash(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex').slice(0, 12);
}
