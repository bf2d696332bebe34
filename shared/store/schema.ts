/** The Postgres schema every table lives in. */
export const SCHEMA = 'sessionlake';
