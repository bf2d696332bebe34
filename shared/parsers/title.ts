/** A session's title: cut from the first prompt a person typed, the same way for every agent. */

export const TITLE_MAX_CHARS = 200;

/** Whitespace runs collapsed to one space, trimmed, cut to 200 characters (code points). */
export function toTitle(text: string): string {
  const collapsed = text.replace(/\s+/gu, ' ').trim();
  const chars = Array.from(collapsed);
  return chars.length <= TITLE_MAX_CHARS ? collapsed : chars.slice(0, TITLE_MAX_CHARS).join('').trimEnd();
}
