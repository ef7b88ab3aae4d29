import { openApiDocument } from '@servicesystem/protocol';
import type { FastifyInstance } from 'fastify';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { AppError } from '../../domain/errors.js';
import { httpStatusOf } from '../errors.js';
import type { RouteDeps } from './deps.js';

/** The files of swagger-ui-dist the docs page uses, served from this server (no CDN). */
const uiFiles: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/** Our own start script: a file, since the Content-Security-Policy allows no inline script. */
const initScript = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/api/openapi.json',
    dom_id: '#docs',
    deepLinking: true,
    docExpansion: 'list',
    defaultModelsExpandDepth: 0,
    tryItOutEnabled: false,
  });
});
`;

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ServiceSystem API</title>
<link rel="icon" type="image/png" href="/api/docs/favicon-32x32.png">
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
<div id="docs"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body>
</html>
`;

function swaggerUiDir(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('swagger-ui-dist/package.json'));
}

/**
 * The OpenAPI 3.1 document (`/api/openapi.json`, generated once from the route catalogue) and
 * the interactive docs (`/api/docs`). Both public: the document holds no secret.
 */
export function apiDocRoutes(app: FastifyInstance, { publicUrl }: RouteDeps): void {
  // src/ and dist/ sit at the same depth under apps/server.
  const { version } = JSON.parse(
    fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
  ) as { version: string };
  let document: string | undefined;
  app.get('/api/openapi.json', (_request, reply) => {
    document ??= JSON.stringify(
      openApiDocument({ statusOf: httpStatusOf, version, serverUrl: publicUrl }),
    );
    // Like every JSON answer under /api/: no-store (the server adds it).
    return reply.type('application/json; charset=utf-8').send(document);
  });

  app.get('/api/docs', (_request, reply) =>
    reply
      .header('Cache-Control', 'public, max-age=300')
      .type('text/html; charset=utf-8')
      .send(page),
  );

  const uiDir = swaggerUiDir();
  app.get('/api/docs/*', (request, reply) => {
    const name = (request.params as { '*': string })['*'];
    if (name === 'init.js') {
      return reply
        .header('Cache-Control', 'public, max-age=300')
        .type('text/javascript; charset=utf-8')
        .send(initScript);
    }
    const type = Object.hasOwn(uiFiles, name) ? uiFiles[name] : undefined;
    if (type === undefined) {
      throw new AppError('ROUTE_NOT_FOUND', `There is no route GET /api/docs/${name}`);
    }
    // Streamed from the package by @fastify/static (registered by the page routes).
    return reply
      .header('Cache-Control', 'public, max-age=3600')
      .type(type)
      .sendFile(name, uiDir, { cacheControl: false });
  });
}
