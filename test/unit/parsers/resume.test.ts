import { beforeAll, describe, expect, it } from 'vitest';
import { classifyKey } from '../../../shared/layout/s3-key.js';
import { parseSessionBytes, resumeParse, type CollectedSession } from '../../../shared/parsers/parse-session.js';
import { PARSERS, selectParser } from '../../../shared/parsers/registry.js';
import { readResumePoint, type ResumePoint } from '../../../shared/parsers/resume-state.js';
import type { MessageRecord, SessionLayout, ToolCallRecord } from '../../../shared/model.js';
import { fixtureObjects, growthCuts, seededRandom, type FixtureObject } from '../../support/fixture-objects.js';

/**
 * A parse resumed from a saved state, applied the way the writer applies it (rows from the state's ordinal on
 * replaced, revisions set, new rows added), must leave exactly the rows and counts of one full parse of the
 * same bytes — for every fixture, grown in random slices cut anywhere (mid-line and mid-character too).
 */

interface Table {
  messages: Map<number, MessageRecord>;
  toolCalls: Map<string, ToolCallRecord>;
}

const callKey = (ordinal: number, index: number) => `${ordinal}/${index}`;

function tableOf(part: CollectedSession): Table {
  return {
    messages: new Map(part.messages.map((m) => [m.ordinal, m])),
    toolCalls: new Map(part.toolCalls.map((t) => [callKey(t.messageOrdinal, t.callIndex), t])),
  };
}

/** What SessionWriter does with a resumed part (see resume-state.ts). */
function applyResumed(table: Table, fromOrdinal: number, part: CollectedSession): void {
  for (const ordinal of [...table.messages.keys()]) if (ordinal >= fromOrdinal) table.messages.delete(ordinal);
  for (const [key, call] of [...table.toolCalls]) if (call.messageOrdinal >= fromOrdinal) table.toolCalls.delete(key);
  for (const revision of part.revisions) {
    if (revision.kind === 'tool-result') {
      const call = table.toolCalls.get(callKey(revision.messageOrdinal, revision.callIndex));
      if (call === undefined) throw new Error(`revision of a call never written: ${JSON.stringify(revision)}`);
      Object.assign(call, {
        resultText: revision.resultText,
        isError: revision.isError,
        resultTimestamp: revision.resultTimestamp,
        resultFile: revision.resultFile,
      });
    } else {
      const message = table.messages.get(revision.ordinal);
      if (message === undefined) throw new Error(`revision of a row never written: ${revision.ordinal}`);
      message.tokens = revision.tokens;
    }
  }
  for (const message of part.messages) {
    if (table.messages.has(message.ordinal)) throw new Error(`row ${message.ordinal} written twice`);
    table.messages.set(message.ordinal, message);
  }
  for (const call of part.toolCalls) {
    const key = callKey(call.messageOrdinal, call.callIndex);
    if (table.toolCalls.has(key)) throw new Error(`call ${key} written twice`);
    table.toolCalls.set(key, call);
  }
}

/** The state as it comes back from the database: through JSON. */
function stored(point: ResumePoint | null): ResumePoint | null {
  return point === null ? null : readResumePoint(JSON.parse(JSON.stringify(point)));
}

function sessionLayout(key: string): SessionLayout {
  const layout = classifyKey(key);
  if (layout.kind !== 'session' && layout.kind !== 'subagent') throw new Error(`${key} is not a session`);
  return layout;
}

function comparable(part: CollectedSession, table: Table) {
  const { outcome } = part;
  return {
    messages: [...table.messages.values()].sort((a, b) => a.ordinal - b.ordinal),
    toolCalls: [...table.toolCalls.values()].sort((a, b) => a.messageOrdinal - b.messageOrdinal || a.callIndex - b.callIndex),
    summary: outcome.result?.summary,
    counts: outcome.result?.counts,
    lines: outcome.lines,
    truncated: outcome.truncated,
    bytesComplete: outcome.bytesComplete,
    rejected: { total: outcome.rejectedValues.total, samples: outcome.rejectedValues.samples },
    resumePoint: stored(outcome.resumePoint),
  };
}

/** Ingests the prefixes `cuts` and then the whole object, each resumed from the previous one's state when it can. */
async function growInSlices(object: FixtureObject, cuts: number[]): Promise<{ last: CollectedSession; table: Table; resumed: number }> {
  const layout = sessionLayout(object.key);
  const selector = selectParser(layout.agent);
  let point: ResumePoint | null = null;
  let table: Table | null = null;
  let last: CollectedSession | null = null;
  let resumed = 0;
  for (const size of [...cuts, object.bytes.length]) {
    const resume = point === null ? null : resumeParse(PARSERS[layout.agent], layout.parserContext, point);
    if (resume === null || table === null) {
      last = await parseSessionBytes(object.bytes.subarray(0, size), selector, layout.parserContext, { chunkSize: 977 });
      table = tableOf(last);
    } else {
      last = await parseSessionBytes(object.bytes.subarray(resume.point.byteOffset, size), selector, layout.parserContext, {
        chunkSize: 977,
        resume,
      });
      applyResumed(table, resume.point.nextOrdinal, last);
      resumed += 1;
    }
    point = stored(last.outcome.resumePoint);
  }
  if (last === null || table === null) throw new Error('nothing parsed');
  return { last, table, resumed };
}

let objects: FixtureObject[];
beforeAll(async () => {
  objects = (await fixtureObjects()).filter((object) => ['session', 'subagent'].includes(classifyKey(object.key).kind));
});

describe('resuming a parse from its saved state', () => {
  it('gives every fixture, grown in random slices, the rows and counts of one full parse', async () => {
    const random = seededRandom(11);
    let resumedParts = 0;
    for (const object of objects) {
      for (let round = 0; round < 4; round += 1) {
        // Prepare
        const cuts = growthCuts(object.bytes.length, 1 + Math.floor(random() * 6), random);
        const layout = sessionLayout(object.key);
        const full = await parseSessionBytes(object.bytes, selectParser(layout.agent), layout.parserContext);

        // Act
        const grown = await growInSlices(object, cuts);

        // Assess
        expect(comparable(grown.last, grown.table), `${object.key} cut at ${cuts.join(',')}`).toEqual(
          comparable(full, tableOf(full)),
        );
        resumedParts += grown.resumed;
      }
    }
    // The comparison above holds trivially if nothing resumes (every part read in full): most parts must resume.
    expect(resumedParts).toBeGreaterThan(objects.length * 4);
  });

  it('gives the same rows when every line boundary of a long session is an upload', async () => {
    for (const name of ['5c0375b4-57a5-4f26-b12d-d022ee4e51b7', 'rollout-2026-02-23T12-41-04']) {
      // Prepare
      const object = objects.find((candidate) => candidate.key.includes(name));
      if (object === undefined) throw new Error(`fixture ${name} missing`);
      const cuts: number[] = [];
      object.bytes.forEach((byte, index) => {
        if (byte === 0x0a && index + 1 < object.bytes.length) cuts.push(index + 1);
      });
      const layout = sessionLayout(object.key);
      const full = await parseSessionBytes(object.bytes, selectParser(layout.agent), layout.parserContext);

      // Act
      const grown = await growInSlices(object, cuts);

      // Assess
      expect(comparable(grown.last, grown.table), object.key).toEqual(comparable(full, tableOf(full)));
      expect(grown.resumed, object.key).toBeGreaterThan(cuts.length * 0.8);
    }
  });

  it('refuses a state of another shape, so the object is read in full', () => {
    // Prepare
    const context = { fileStem: 'x', projectDir: null, parentSourceSessionId: null };
    const point: ResumePoint = {
      format: 1,
      byteOffset: 10,
      linesBefore: 1,
      nextOrdinal: 1,
      lines: { total: 1, blank: 0, malformed: 0, malformedByReason: { 'invalid-json': 0, 'not-an-object': 0, 'too-long': 0 }, malformedSamples: [], records: 1, controlCharacters: 0, invalidUtf8: 0 },
      values: { byKind: { count: 0, timestamp: 0, object: 0 }, samples: [] },
      parser: { nextOrdinal: 1 },
    };

    // Act / Assess
    expect(resumeParse(PARSERS.claude, context, point)).toBeNull();
    expect(resumeParse(PARSERS.codex, context, point)).toBeNull();
    expect(readResumePoint({ ...point, format: 2 })).toBeNull();
    expect(readResumePoint({ ...point, byteOffset: -1 })).toBeNull();
  });
});
