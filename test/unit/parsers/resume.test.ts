import { beforeAll, describe, expect, it } from 'vitest';
import { classifyKey } from '../../../shared/layout/s3-key.js';
import { parseSessionBytes, resumeParse, type CollectedSession } from '../../../shared/parsers/parse-session.js';
import { PARSERS, selectParser } from '../../../shared/parsers/registry.js';
import { readResumePoint, type ResumePoint } from '../../../shared/parsers/resume-state.js';
import type { SessionLayout } from '../../../shared/model.js';
import { fixtureObjects, growthCuts, seededRandom, type FixtureObject } from '../../support/fixture-objects.js';
import { applyResumed, comparable, stored, tableOf, type Table } from '../../support/resumed-parts.js';

/**
 * A parse resumed from a saved state, applied the way the writer applies it (rows from the state's ordinal on
 * replaced, revisions set, new rows added), must leave exactly the rows and counts of one full parse of the
 * same bytes — for every fixture, grown in random slices cut anywhere (mid-line and mid-character too).
 */

function sessionLayout(key: string): SessionLayout {
  const layout = classifyKey(key);
  if (layout.kind !== 'session' && layout.kind !== 'subagent') throw new Error(`${key} is not a session`);
  return layout;
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
    const resumedByAgent = new Map<string, number>();
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
        resumedByAgent.set(layout.agent, (resumedByAgent.get(layout.agent) ?? 0) + grown.resumed);
      }
    }
    // The comparison above holds trivially if nothing resumes (every part read in full): most parts must resume,
    // and every agent's.
    expect(resumedParts).toBeGreaterThan(objects.length * 4);
    const agents = [...new Set(objects.map((object) => sessionLayout(object.key).agent))].sort();
    expect(agents).toEqual(['claude', 'codex', 'copilot', 'qwen']);
    for (const agent of agents) expect(resumedByAgent.get(agent) ?? 0, agent).toBeGreaterThan(0);
  });

  it('gives the same rows when every line boundary of a long session is an upload', async () => {
    // Copilot: a session with a tool call and two shutdowns (the second bills what it adds to the first), and an
    // OTel export.
    const names = ['5c0375b4-57a5-4f26-b12d-d022ee4e51b7', 'rollout-2026-02-23T12-41-04', '5f0c5c1e-2b7a-4c1d-9e3f-0a1b2c3d4e5f', 'copilot-otel-run2'];
    for (const name of names) {
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
    expect(resumeParse(PARSERS.copilot, context, point)).toBeNull();
    expect(readResumePoint({ ...point, format: 2 })).toBeNull();
    expect(readResumePoint({ ...point, byteOffset: -1 })).toBeNull();
  });
});
