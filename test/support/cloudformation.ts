/**
 * Reads a packaged CloudFormation template the way CloudFormation would apply it: conditions evaluated (osls
 * resolves the parameters at package time, so each one compares literals), resources whose condition is false
 * dropped, `Fn::If` replaced by its branch and `AWS::NoValue` removed. Other intrinsics (`Fn::Sub`, `Ref`,
 * `Fn::GetAtt`) are kept as written, so tests can see what they refer to.
 */
import { readFile } from 'node:fs/promises';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Resource {
  Type: string;
  Properties?: Record<string, Json>;
  DependsOn?: string | string[];
  Condition?: string;
}

export interface Template {
  Resources: Record<string, Resource>;
  Outputs?: Record<string, Json>;
}

export interface PolicyStatement {
  Effect: string;
  Action: string | string[];
  Resource: Json;
  Condition?: Json;
  Principal?: Json;
}

const NO_VALUE = Symbol('AWS::NoValue');

export async function readAppliedTemplate(file: string): Promise<Template> {
  return applyConditions(JSON.parse(await readFile(file, 'utf8')) as Record<string, Json>);
}

export function applyConditions(raw: Record<string, Json>): Template {
  const definitions = (raw['Conditions'] ?? {}) as Record<string, Json>;
  const truth = new Map<string, boolean>();
  const condition = (name: string): boolean => {
    if (!truth.has(name)) {
      const definition = definitions[name];
      if (definition === undefined) throw new Error(`unknown condition ${name}`);
      truth.set(name, evaluate(definition, condition));
    }
    return truth.get(name) as boolean;
  };
  const resources: Record<string, Resource> = {};
  for (const [id, resource] of Object.entries(raw['Resources'] as Record<string, Json>)) {
    const { Condition: when } = resource as { Condition?: string };
    if (when !== undefined && !condition(when)) continue;
    resources[id] = resolve(resource, condition) as unknown as Resource;
  }
  const outputs = raw['Outputs'] === undefined ? undefined : (resolve(raw['Outputs'], condition) as Record<string, Json>);
  return { Resources: resources, ...(outputs === undefined ? {} : { Outputs: outputs }) };
}

function evaluate(expression: Json, condition: (name: string) => boolean): boolean {
  const [fn, args] = Object.entries(expression as Record<string, Json>)[0] ?? [];
  const list = args as Json[];
  switch (fn) {
    case 'Fn::Equals':
      if (typeof list[0] !== 'string' || typeof list[1] !== 'string') throw new Error(`Fn::Equals of non-literals: ${JSON.stringify(list)}`);
      return list[0] === list[1];
    case 'Fn::Not':
      return !evaluate(list[0] as Json, condition);
    case 'Fn::And':
      return list.every((item) => evaluate(item, condition));
    case 'Fn::Or':
      return list.some((item) => evaluate(item, condition));
    case 'Condition':
      return condition(args as string);
    default:
      throw new Error(`cannot evaluate condition ${JSON.stringify(expression)}`);
  }
}

function resolve(value: Json, condition: (name: string) => boolean): Json | typeof NO_VALUE {
  if (Array.isArray(value)) {
    return value.map((item) => resolve(item, condition)).filter((item): item is Json => item !== NO_VALUE);
  }
  if (value === null || typeof value !== 'object') return value;
  if ('Fn::If' in value) {
    const [name, whenTrue, whenFalse] = value['Fn::If'] as [string, Json, Json];
    return resolve(condition(name) ? whenTrue : whenFalse, condition);
  }
  if (value['Ref'] === 'AWS::NoValue') return NO_VALUE;
  const out: Record<string, Json> = {};
  for (const [key, item] of Object.entries(value)) {
    const resolved = resolve(item, condition);
    if (resolved !== NO_VALUE) out[key] = resolved;
  }
  return out;
}

export function resourcesOfType(template: Template, type: string): Array<[string, Resource]> {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

export function resource(template: Template, id: string): Resource {
  const found = template.Resources[id];
  if (found === undefined) throw new Error(`no resource ${id} in the template`);
  return found;
}

/** Every statement of a role's inline policies. */
export function roleStatements(role: Resource): PolicyStatement[] {
  const policies = (role.Properties?.['Policies'] ?? []) as unknown as Array<{ PolicyDocument: { Statement: PolicyStatement[] } }>;
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

export function actionsOf(statement: PolicyStatement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}
