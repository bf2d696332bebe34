/**
 * Reads a packaged CloudFormation template the way CloudFormation would apply it with no parameter values given
 * (as `osls deploy` does): a `Ref` to a template parameter replaced by its default (osls writes the --param
 * values there; a CommaDelimitedList becomes a list), conditions evaluated, resources whose condition is false
 * dropped, `Fn::If` replaced by its branch and `AWS::NoValue` removed. Other intrinsics (`Fn::Sub`, `Ref` to
 * resources, `Fn::GetAtt`) are kept as written, so tests can see what they refer to.
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
  const parameters = parameterValues((raw['Parameters'] ?? {}) as Record<string, Json>);
  const definitions = (raw['Conditions'] ?? {}) as Record<string, Json>;
  const truth = new Map<string, boolean>();
  const applied: Applied = {
    parameters,
    condition: (name: string): boolean => {
      if (!truth.has(name)) {
        const definition = definitions[name];
        if (definition === undefined) throw new Error(`unknown condition ${name}`);
        truth.set(name, evaluate(definition, applied));
      }
      return truth.get(name) as boolean;
    },
  };
  const resources: Record<string, Resource> = {};
  for (const [id, resource] of Object.entries(raw['Resources'] as Record<string, Json>)) {
    const { Condition: when } = resource as { Condition?: string };
    if (when !== undefined && !applied.condition(when)) continue;
    resources[id] = resolve(resource, applied) as unknown as Resource;
  }
  const outputs = raw['Outputs'] === undefined ? undefined : (resolve(raw['Outputs'], applied) as Record<string, Json>);
  return { Resources: resources, ...(outputs === undefined ? {} : { Outputs: outputs }) };
}

interface Applied {
  parameters: Map<string, Json>;
  condition: (name: string) => boolean;
}

/** Each template parameter's value when none is passed: its default (a CommaDelimitedList split at commas). */
function parameterValues(declared: Record<string, Json>): Map<string, Json> {
  const values = new Map<string, Json>();
  for (const [name, declaration] of Object.entries(declared)) {
    const { Type: type, Default: value } = declaration as { Type: string; Default?: Json };
    if (typeof value !== 'string') throw new Error(`template parameter ${name} has no string default`);
    values.set(name, type === 'CommaDelimitedList' ? value.split(',') : value);
  }
  return values;
}

function evaluate(expression: Json, applied: Applied): boolean {
  const [fn, args] = Object.entries(expression as Record<string, Json>)[0] ?? [];
  const list = args as Json[];
  switch (fn) {
    case 'Fn::Equals': {
      const [left, right] = list.map((item) => literal(item, applied));
      return left === right;
    }
    case 'Fn::Not':
      return !evaluate(list[0] as Json, applied);
    case 'Fn::And':
      return list.every((item) => evaluate(item, applied));
    case 'Fn::Or':
      return list.some((item) => evaluate(item, applied));
    case 'Condition':
      return applied.condition(args as string);
    default:
      throw new Error(`cannot evaluate condition ${JSON.stringify(expression)}`);
  }
}

/** A string operand of Fn::Equals: a literal, a parameter's value, or an Fn::Join of those. */
function literal(value: Json, applied: Applied): string {
  if (typeof value === 'string') return value;
  const resolved = resolve(value, applied);
  if (typeof resolved === 'string') return resolved;
  if (resolved !== null && typeof resolved === 'object' && !Array.isArray(resolved) && 'Fn::Join' in resolved) {
    const [separator, items] = resolved['Fn::Join'] as [string, Json];
    if (Array.isArray(items) && items.every((item) => typeof item === 'string')) return items.join(separator);
  }
  throw new Error(`Fn::Equals of something other than literals and parameters: ${JSON.stringify(value)}`);
}

function resolve(value: Json, applied: Applied): Json | typeof NO_VALUE {
  if (Array.isArray(value)) {
    return value.map((item) => resolve(item, applied)).filter((item): item is Json => item !== NO_VALUE);
  }
  if (value === null || typeof value !== 'object') return value;
  if ('Fn::If' in value) {
    const [name, whenTrue, whenFalse] = value['Fn::If'] as [string, Json, Json];
    return resolve(applied.condition(name) ? whenTrue : whenFalse, applied);
  }
  if (value['Ref'] === 'AWS::NoValue') return NO_VALUE;
  if (typeof value['Ref'] === 'string' && applied.parameters.has(value['Ref'])) return applied.parameters.get(value['Ref']) as Json;
  const out: Record<string, Json> = {};
  for (const [key, item] of Object.entries(value)) {
    const resolved = resolve(item, applied);
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

/** A queue rule of a bucket's notification in the S3 API's shape (PutBucketNotificationConfiguration). */
export interface S3QueueConfiguration {
  QueueArn: string;
  Events: string[];
  Filter: { Key: { FilterRules: Array<{ Name: string; Value: string }> } };
}

/**
 * The queue rules an applied template's AWS::S3::Bucket declares, in the S3 API's shape, sent to `queueArn` (the
 * template names the queue by `Fn::GetAtt`, which only a deployed stack resolves).
 */
export function bucketQueueConfigurations(template: Template, bucketId: string, queueArn: string): S3QueueConfiguration[] {
  const configuration = resource(template, bucketId).Properties?.['NotificationConfiguration'] as
    | { QueueConfigurations: Array<{ Event: string; Filter: { S3Key: { Rules: Array<{ Name: string; Value: string }> } } }> }
    | undefined;
  if (configuration === undefined) throw new Error(`${bucketId} has no NotificationConfiguration`);
  return configuration.QueueConfigurations.map((rule) => ({
    QueueArn: queueArn,
    Events: [rule.Event],
    Filter: { Key: { FilterRules: rule.Filter.S3Key.Rules } },
  }));
}
