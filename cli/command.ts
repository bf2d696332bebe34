export interface CommandOption {
  type: 'string' | 'boolean';
  description: string;
}

/** A positional argument; every one is required. */
export interface CommandArgument {
  /** As the usage line shows it, e.g. `s3://bucket/key`. */
  name: string;
  description: string;
  /** Takes one or more values; only the last argument may. */
  repeatable?: boolean;
}

export interface CommandInput {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

export interface Command {
  name: string;
  summary: string;
  arguments: CommandArgument[];
  options: Record<string, CommandOption>;
  /** Paragraphs printed at the end of the command's help (environment, examples). */
  notes?: string[];
  run(input: CommandInput): Promise<number>;
}

export function stringOption(input: CommandInput, name: string): string | undefined {
  const value = input.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function integerOption(input: CommandInput, name: string, fallback: number): number {
  const raw = stringOption(input, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

/** Why the positionals do not fit the command's arguments, or null when they do. */
export function argumentsProblem(command: Command, positionals: string[]): string | null {
  const expected = command.arguments;
  const last = expected[expected.length - 1];
  const missing = expected[positionals.length];
  if (missing !== undefined) return `missing ${formatArgument(missing)}`;
  if (last?.repeatable === true || positionals.length === expected.length) return null;
  const extra = positionals.slice(expected.length).map((value) => `"${value}"`).join(', ');
  return expected.length === 0
    ? `takes no arguments, got ${extra}`
    : `takes ${expected.length} argument${expected.length === 1 ? '' : 's'}, got extra ${extra}`;
}

export function formatArgument(argument: CommandArgument): string {
  return `<${argument.name}>${argument.repeatable === true ? '...' : ''}`;
}
