import { z } from 'zod';
import { apiRoutes, commonErrors, type ApiRoute } from './api.js';
import { apiKeyScopes } from './apiKeys.js';
import { ErrorBody, type ErrorCode } from './errors.js';

type Json = Record<string, unknown>;

export interface OpenApiOptions {
  /** The HTTP status of each error code (the server's transport decides them). */
  statusOf: Record<ErrorCode, number>;
  version: string;
  /** The server's public URL, when known. */
  serverUrl?: string | undefined;
}

/** What each scope opens, for the document's description. */
export const apiKeyScopeDescriptions: Record<(typeof apiKeyScopes)[number], string> = {
  'conversations:read':
    'Read conversations, messages, notes, visitor context, search, files, labels, saved replies and presence.',
  'conversations:write':
    'End, transfer and assign conversations, put labels on them, snooze them, mark them read.',
  'messages:write': 'Send messages and internal notes, upload files, typing.',
  'reports:read': 'Reports, reports.csv and the dashboard’s stats.',
  admin:
    'Accounts, channels, labels, saved replies, setup, the audit log, webhooks, visitors’ export and erase.',
};

/** A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect); `$defs` are moved to
 * components, named after the operation. */
function jsonSchemaOf(
  schema: z.ZodType,
  io: 'input' | 'output',
  name: string,
  components: Json,
): Json {
  const result = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    target: 'draft-2020-12',
  }) as Json;
  delete result.$schema;
  const defs = result.$defs as Record<string, Json> | undefined;
  if (!defs) return result;
  delete result.$defs;
  let text = JSON.stringify(result);
  for (const [key, def] of Object.entries(defs)) {
    const target = `${name}_${key}`.replace(/[^A-Za-z0-9._-]/g, '_');
    components[target] = def;
    text = text.split(`"#/$defs/${key}"`).join(`"#/components/schemas/${target}"`);
  }
  for (const key of Object.keys(defs)) {
    const target = `${name}_${key}`.replace(/[^A-Za-z0-9._-]/g, '_');
    components[target] = JSON.parse(
      JSON.stringify(components[target])
        .split(`"#/$defs/${key}"`)
        .join(`"#/components/schemas/${target}"`),
    ) as Json;
  }
  return JSON.parse(text) as Json;
}

/** `/api/v1/conversations/:id` → `/api/v1/conversations/{id}`. */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function operationIdOf(route: ApiRoute): string {
  const words = route.path
    .replace(/^\/api\/v1\//, '')
    .replace(/^\//, '')
    .split(/[/.\-_]/)
    .filter((w) => w !== '')
    .map((w) => (w.startsWith(':') ? `By${w.slice(1, 2).toUpperCase()}${w.slice(2)}` : w));
  const camel = words.map((w) => w.slice(0, 1).toUpperCase() + w.slice(1)).join('');
  return route.method.toLowerCase() + camel;
}

/** Path or query parameters from an object schema. */
function parametersOf(
  schema: z.ZodType,
  where: 'path' | 'query',
  name: string,
  components: Json,
): Json[] {
  const json = jsonSchemaOf(schema, 'input', name, components);
  const properties = (json.properties ?? {}) as Record<string, Json>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([key, property]) => {
    const { description, ...rest } = property;
    return {
      name: key,
      in: where,
      required: where === 'path' || required.has(key),
      schema: rest,
      ...(typeof description === 'string' ? { description } : {}),
    };
  });
}

function securityOf(route: ApiRoute): Json[] | undefined {
  const alternatives: Json[] = [];
  if (route.callers.includes('public')) alternatives.push({});
  if (route.callers.includes('visitor')) alternatives.push({ visitorToken: [] });
  if (route.callers.includes('agent') || route.callers.includes('admin')) {
    alternatives.push({ consoleSession: [] }, { consoleCookie: [] });
    if (route.key !== null) alternatives.push({ apiKey: route.key === 'any' ? [] : [route.key] });
  }
  return alternatives;
}

function describeRoute(route: ApiRoute): string {
  const who = route.callers
    .map((c) =>
      c === 'public'
        ? 'anyone (no credential)'
        : c === 'visitor'
          ? 'a visitor (visitor token)'
          : c === 'agent'
            ? 'agents'
            : 'administrators',
    )
    .join(', ');
  const key =
    route.key === null
      ? route.callers.includes('public')
        ? 'API keys: not needed.'
        : 'API keys: not available (console session or visitor token only).'
      : route.key === 'any'
        ? 'API keys: any key.'
        : `API keys: scope \`${route.key}\`.`;
  return `Who may call it: ${who}. ${key}`;
}

/**
 * The OpenAPI 3.1 document of the REST API, generated from the route catalogue and its zod
 * schemas: nothing in it is written by hand twice.
 */
export function openApiDocument(options: OpenApiOptions): Json {
  const schemas: Json = {
    Error: jsonSchemaOf(ErrorBody, 'output', 'Error', {}),
  };
  const paths: Record<string, Json> = {};
  for (const route of apiRoutes) {
    if (route.hidden) continue;
    const operationId = operationIdOf(route);
    const parameters = [
      ...(route.params ? parametersOf(route.params, 'path', operationId, schemas) : []),
      ...(route.query ? parametersOf(route.query, 'query', operationId, schemas) : []),
    ];
    const responses: Json = {};
    const success: Json = { description: route.status === 204 ? 'No content' : 'Success' };
    if (route.response) {
      success.content = {
        'application/json': {
          schema: jsonSchemaOf(route.response, 'output', `${operationId}_response`, schemas),
        },
      };
    } else if (route.produces) {
      success.content = { [route.produces]: { schema: { type: 'string' } } };
    } else if (route.status !== 204) {
      success.content = { 'application/json': { schema: {} } };
    }
    responses[String(route.status)] = success;
    const codes = [...new Set([...route.errors, ...commonErrors])];
    const byStatus = new Map<number, ErrorCode[]>();
    for (const code of codes) {
      const status = options.statusOf[code];
      byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    }
    for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
      responses[String(status)] = {
        description: `Error: ${list.join(', ')}`,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }
    const operation: Json = {
      operationId,
      summary: route.summary,
      description: describeRoute(route),
      tags: [route.tag],
      'x-callers': route.callers,
      'x-api-key-scope': route.key,
      security: securityOf(route),
      ...(parameters.length > 0 ? { parameters } : {}),
      responses,
    };
    if (route.body) {
      operation.requestBody = {
        required: true,
        content: {
          'application/json': {
            schema: jsonSchemaOf(route.body, 'input', `${operationId}_body`, schemas),
          },
        },
      };
    } else if (route.upload) {
      operation.requestBody = {
        required: true,
        content: {
          'multipart/form-data': {
            schema: {
              type: 'object',
              properties: {
                file: { type: 'string', contentMediaType: 'application/octet-stream' },
              },
              required: ['file'],
            },
          },
        },
      };
    }
    const path = openApiPath(route.path);
    paths[path] = { ...(paths[path] ?? {}), [route.method.toLowerCase()]: operation };
  }
  const scopeTable = apiKeyScopes
    .map((scope) => `- \`${scope}\`: ${apiKeyScopeDescriptions[scope]}`)
    .join('\n');
  return {
    openapi: '3.1.0',
    info: {
      title: 'ServiceSystem API',
      version: options.version,
      description:
        'The REST API of ServiceSystem. Every error answers `{"error":{"code","message"}}`. ' +
        'Console users authenticate with a session (cookie or `Bearer sst_…`), integrations with ' +
        'an API key (`Bearer ssk_…`, REST only, never on the Socket.IO connection), visitors ' +
        'with a visitor token. An API key gets exactly its scopes and never more than the ' +
        'account it acts as may do; each operation names the scope it needs in ' +
        '`x-api-key-scope` (null: not available to keys).\n\nScopes:\n' +
        scopeTable,
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    tags: [...new Set(apiRoutes.filter((r) => !r.hidden).map((r) => r.tag))].map((name) => ({
      name,
    })),
    paths,
    components: {
      schemas,
      securitySchemes: {
        consoleSession: {
          type: 'http',
          scheme: 'bearer',
          description: 'A console session token (`sst_…`) from POST /api/v1/auth/login.',
        },
        consoleCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: 'ss_session',
          description: 'The console session cookie set at login (browsers).',
        },
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description:
            'An API key (`ssk_…`) an administrator created; it acts as a console account within its scopes.\n\n' +
            scopeTable,
        },
        visitorToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'A visitor token from POST /api/v1/visitor/session.',
        },
      },
    },
  };
}
