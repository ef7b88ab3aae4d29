import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes, openApiPath, routeKey } from '@servicesystem/protocol';
import { adminPassword, startTestApp, type TestApp } from '../support/testApp.js';

/**
 * The route catalogue (packages/protocol/src/api.ts) against the server's router, and the
 * OpenAPI 3.1 document generated from it: a route registered without an entry, or an entry
 * without a route, fails here; so does a document that does not validate.
 */
describe('route catalogue and OpenAPI document', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('lists every /api route (and /healthz) the server registers, and nothing else', () => {
    // Collected by Fastify's onRoute hook as the real app registered them.
    const registered = t.app.routes
      .filter((r) => r.url.startsWith('/api/') || r.url === '/healthz')
      .map((r) => routeKey(r.method, r.url))
      .sort();
    const catalogue = apiRoutes.map((r) => routeKey(r.method, r.path)).sort();
    expect(registered.filter((r) => !catalogue.includes(r))).toEqual([]);
    expect(catalogue.filter((r) => !registered.includes(r))).toEqual([]);
    expect(new Set(catalogue).size).toBe(catalogue.length);
  });

  it('gives every route its path parameters, and a body schema to every route that reads one', () => {
    for (const route of apiRoutes) {
      const names = [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]);
      if (names.length > 0) expect(route.params, route.path).toBeDefined();
      if (['POST', 'PUT', 'PATCH'].includes(route.method) && route.body === undefined) {
        // Those that take no body at all, or a file.
        expect(
          route.upload === true ||
            /\/(end|rotate-secret|unsnooze|logout|retry|test|suggest-reply)$|labels\/:labelId$/.test(
              route.path,
            ),
          `${route.method} ${route.path} has no body schema`,
        ).toBe(true);
      }
    }
  });

  it('serves an OpenAPI 3.1 document that validates, with every route and its key scope', async () => {
    const answer = await t.request('GET', '/api/openapi.json');
    expect(answer.status).toBe(200);
    expect(String(answer.headers['content-type'])).toContain('application/json');
    const document = answer.body as {
      openapi: string;
      paths: Record<string, Record<string, Record<string, unknown>>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(document.openapi).toBe('3.1.0');
    const result = await new Validator().validate(document);
    expect(result.errors ?? [], JSON.stringify(result.errors)?.slice(0, 2000)).toEqual([]);
    expect(result.valid).toBe(true);

    for (const route of apiRoutes.filter((r) => !r.hidden)) {
      const operation = document.paths[openApiPath(route.path)]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      expect(operation!['x-api-key-scope']).toBe(route.key);
      expect(operation!.responses).toHaveProperty(String(route.status));
    }
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual([
      'apiKey',
      'consoleCookie',
      'consoleSession',
      'visitorToken',
    ]);
    // Only components' references: nothing points at a schema's own $defs.
    const text = JSON.stringify(document);
    expect(text).not.toContain('#/$defs/');
    // Public, so nothing secret: no token, no password.
    expect(text).not.toContain(t.adminToken);
    expect(text).not.toContain(adminPassword);
  });

  it('documents the request bodies from the protocol schemas (one source)', async () => {
    const document = (await t.request('GET', '/api/openapi.json')).body;
    const create = document.paths['/api/v1/api-keys'].post;
    const schema = create.requestBody.content['application/json'].schema;
    expect(schema.properties.scopes.items.enum).toEqual([
      'conversations:read',
      'conversations:write',
      'messages:write',
      'reports:read',
      'admin',
    ]);
    expect(schema.properties.rateLimitPerMinute).toMatchObject({ minimum: 1, maximum: 100_000 });
    expect(create['x-api-key-scope']).toBeNull();
    const send = document.paths['/api/v1/conversations/{id}/messages'].post;
    expect(send['x-api-key-scope']).toBe('messages:write');
    expect(send.parameters).toEqual([
      expect.objectContaining({ name: 'id', in: 'path', required: true }),
    ]);
    expect(Object.keys(send.responses)).toEqual(
      expect.arrayContaining(['201', '401', '403', '404']),
    );
  });

  it('serves the interactive docs from its own files, inside the Content-Security-Policy', async () => {
    const page = await t.request('GET', '/api/docs');
    expect(page.status).toBe(200);
    expect(String(page.headers['content-type'])).toContain('text/html');
    const html = String(page.body);
    // No inline script (the policy allows none) and nothing from another host.
    expect(html).not.toMatch(/<script>[^<]/);
    expect(html).not.toMatch(/(src|href)="https?:/);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    for (const [file, type] of [
      ['swagger-ui-bundle.js', 'javascript'],
      ['swagger-ui.css', 'text/css'],
      ['init.js', 'javascript'],
    ]) {
      const answer = await t.request('GET', `/api/docs/${file}`);
      expect(answer.status, file).toBe(200);
      expect(String(answer.headers['content-type'])).toContain(type);
    }
    for (const bad of [
      'package.json',
      '..%2F..%2Fpackage.json',
      'index.html',
      'absolute-path.js',
    ]) {
      const answer = await t.request('GET', `/api/docs/${bad}`);
      expect([answer.status, answer.body.error?.code], bad).toEqual([404, 'ROUTE_NOT_FOUND']);
    }
  });
});
