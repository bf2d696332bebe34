import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allAgentDefinitions } from '../../../shared/agents/registry.js';
import { runMigrations } from '../../../shared/store/migrate.js';
import { freshDatabase, type FreshDatabase } from '../../support/database.js';

/**
 * Each agent's definition names the price family of the models it logs (`priceFamily`): every priced model
 * belongs to exactly one agent's family, and every agent has prices, so an agent added without its price
 * migration (docs/adding-an-agent.md) fails here.
 */

let database: FreshDatabase;
let models: string[];

beforeAll(async () => {
  database = await freshDatabase('sessionlake_prices');
  await runMigrations(database.url);
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ model: string }>(
      'SELECT model FROM sessionlake.model_prices UNION SELECT model FROM sessionlake.model_aliases ORDER BY 1',
    );
    models = rows.map((row) => row.model);
  } finally {
    await client.end();
  }
});

afterAll(async () => {
  await database?.drop();
});

function familiesOf(model: string): string[] {
  return allAgentDefinitions()
    .filter((agent) => agent.priceFamily.modelPrefixes.some((prefix) => model.startsWith(prefix)))
    .map((agent) => agent.name);
}

describe('model prices by agent', () => {
  it('price every model in exactly one agent’s family', () => {
    expect(models.length).toBeGreaterThan(0);
    const outside = models.filter((model) => familiesOf(model).length !== 1);
    expect(outside).toEqual([]);
  });

  it('alias every model name Copilot CLI logs to a priced model of another agent’s family', async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ alias: string; model: string; priced: boolean }>(
        `SELECT a.alias, a.model, EXISTS (SELECT 1 FROM sessionlake.model_prices p WHERE p.model = a.model) AS priced
           FROM sessionlake.model_aliases a WHERE a.alias ~ '^claude-[a-z]+-[0-9]+[.]' ORDER BY 1`,
      );
      expect(rows.map((row) => row.alias)).toContain('claude-sonnet-4.5');
      expect(rows.filter((row) => !row.priced)).toEqual([]);
      expect(rows.every((row) => familiesOf(row.model).length === 1)).toBe(true);
    } finally {
      await client.end();
    }
  });

  // An agent that serves other providers' models under their prices (GitHub Copilot CLI) names no family of its
  // own: its spellings are model_aliases of those providers' models (docs/adding-an-agent.md, step 4).
  it('have prices for every agent that has a family of its own', () => {
    for (const agent of allAgentDefinitions().filter((definition) => definition.priceFamily.modelPrefixes.length > 0)) {
      expect(models.filter((model) => familiesOf(model).includes(agent.name)), agent.name).not.toEqual([]);
    }
  });
});
