import type { Html } from '../html.js';

/** What a page handler returns: the server frames it (navigation, stylesheet, viewer). */
export interface PageResult {
  title: string;
  active: string;
  body: Html;
  status?: number;
}
