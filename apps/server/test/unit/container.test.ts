import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configVariableNames } from '../../src/config.js';

/**
 * The container files cannot be built or run here (no container engine or registry can be
 * reached), so their facts are checked against the code: the compose file sets only variables the
 * configuration reads and points them at services it defines; nginx proxies WebSockets to every
 * app node and passes `nginx -t`; the Dockerfile runs the file the build produces, as a user
 * other than root, with a health check and DATA_DIR as a volume.
 */

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

interface Service {
  build?: unknown;
  image?: string;
  environment?: Record<string, string | number | boolean>;
  volumes?: string[];
  depends_on?: Record<string, unknown> | string[];
  ports?: string[];
}
const compose = parse(read('compose.yaml'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;
/** The services built from this repository's Dockerfile: the app nodes. */
const appNodes = Object.entries(services).filter(([, s]) => s.build !== undefined);
const nginxConfFile = (() => {
  const mount = services.nginx?.volumes?.find((v) => v.endsWith(':/etc/nginx/nginx.conf:ro'));
  return mount?.split(':')[0];
})();

/** `${NAME}`, `${NAME:-default}`, `${NAME:?message}` as compose fills them, for parsing. */
const interpolated = (value: string) =>
  value.replace(/\$\{([A-Z0-9_]+)(?::?[-?][^}]*)?\}/g, (_m, name: string) =>
    name.toLowerCase().replace(/_/g, '-'),
  );

/** The final stage of the Dockerfile, its instructions joined across line continuations. */
function dockerStages(): { from: string; lines: string[] }[] {
  const lines = read('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const stages: { from: string; lines: string[] }[] = [];
  for (const line of lines) {
    if (/^FROM /i.test(line)) stages.push({ from: line, lines: [] });
    else stages.at(-1)?.lines.push(line);
  }
  return stages;
}

describe('compose.yaml', () => {
  it('has two app nodes of the same image, PostgreSQL, Redis, MinIO with its bucket, and nginx', () => {
    expect(appNodes.map(([name]) => name)).toEqual(['app1', 'app2']);
    for (const [, node] of appNodes) {
      expect(node.build).toBe('.');
      expect(node.image).toBe(appNodes[0]![1].image);
      // Each node keeps its own DATA_DIR (uploads in progress); files go to S3.
      expect(node.volumes?.some((v) => v.endsWith(':/data'))).toBe(true);
      // Only nginx is reachable from outside.
      expect(node.ports).toBeUndefined();
    }
    for (const name of ['postgres', 'redis', 'minio', 'createbucket', 'nginx']) {
      expect(services[name], name).toBeDefined();
    }
    expect(JSON.stringify(services.createbucket)).toContain('mc mb --ignore-existing');
  });

  it('sets only variables the configuration reads and docs/CONFIG.md documents', () => {
    const documented = read('docs/CONFIG.md');
    expect(configVariableNames.length).toBeGreaterThan(40);
    for (const [name, node] of appNodes) {
      const names = Object.keys(node.environment ?? {});
      expect(names.length, name).toBeGreaterThan(5);
      expect(names.filter((v) => !configVariableNames.includes(v))).toEqual([]);
      expect(names.filter((v) => !documented.includes(`\`${v}\``))).toEqual([]);
    }
  });

  it("points the app's database, Redis and S3 at services it defines and waits for them", () => {
    for (const [name, node] of appNodes) {
      const env = node.environment ?? {};
      const targets: string[] = [];
      for (const variable of ['DATABASE_URL', 'REDIS_URL', 'S3_ENDPOINT']) {
        const value = env[variable];
        expect(typeof value, `${name} ${variable}`).toBe('string');
        const host = new URL(interpolated(String(value))).hostname;
        expect(services[host], `${name} ${variable} -> ${host}`).toBeDefined();
        targets.push(host);
      }
      expect(targets).toEqual(['postgres', 'redis', 'minio']);
      expect(String(env.DATABASE_URL)).toMatch(/^postgres:\/\//);
      const waitsFor = Object.keys(node.depends_on ?? {});
      expect(waitsFor).toEqual(expect.arrayContaining(['postgres', 'redis', 'createbucket']));
      // Behind exactly one proxy, and never `true`.
      expect(env.TRUST_PROXY).toBe('1');
    }
  });

  it('keeps secrets in .env: required from it, never written in the file; .env.example lists them', () => {
    const text = read('compose.yaml');
    const example = read('.env.example');
    for (const secret of [
      'POSTGRES_PASSWORD',
      'S3_SECRET_ACCESS_KEY',
      'ADMIN_PASSWORD',
      'METRICS_TOKEN',
      'MINIO_ROOT_PASSWORD',
    ]) {
      expect(text, secret).toMatch(new RegExp(`\\$\\{${secret}(:\\?[^}]*)?\\}`));
      expect(example, secret).toMatch(new RegExp(`^${secret}=`, 'm'));
    }
    expect(read('.gitignore').split('\n')).toContain('.env');
  });
});

describe('the nginx config compose mounts', () => {
  const conf = read(nginxConfFile ?? 'missing');

  it('proxies HTTP and WebSockets to every app node, sticky by client address', () => {
    expect(nginxConfFile).toBe('./deploy/nginx.conf');
    const upstream = /upstream servicesystem \{([\s\S]*?)\n\}/.exec(conf)?.[1] ?? '';
    const servers = [...upstream.matchAll(/^\s*server (\S+):(\d+)/gm)].map((m) => m[1]);
    expect(servers).toEqual(appNodes.map(([name]) => name));
    for (const m of upstream.matchAll(/^\s*server \S+:(\d+)/gm)) expect(m[1]).toBe('3000');
    expect(upstream).toMatch(/hash \$remote_addr consistent;/);
    expect(conf).toMatch(/proxy_pass http:\/\/servicesystem;/);
    expect(conf).toMatch(/proxy_http_version 1\.1;/);
    expect(conf).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    expect(conf).toMatch(/proxy_set_header Connection \$connection_upgrade;/);
    expect(conf).toMatch(/map \$http_upgrade \$connection_upgrade \{\s*default upgrade;/);
    expect(conf).toMatch(/proxy_read_timeout \d+s;/);
    // Metrics are read on each node, never through the proxy.
    expect(conf).toMatch(/location = \/metrics \{\s*return 404;/);
  });

  it('is the plain-HTTP config docs/DEPLOY.md shows, with the nodes named', () => {
    const doc = read('docs/DEPLOY.md');
    const documented = /```nginx\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    expect(documented).toContain('upstream servicesystem');
    const named = documented
      .replace('server 10.0.0.11:3000 ', 'server app1:3000 ')
      .replace('server 10.0.0.12:3000 ', 'server app2:3000 ');
    expect(conf).toContain(named.trim());
  });

  const hasNginx = (() => {
    try {
      execFileSync('nginx', ['-v'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!hasNginx)('passes nginx -t, with the nodes at addresses this machine resolves', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ss-compose-nginx-'));
    try {
      const file = path.join(dir, 'nginx.conf');
      // The compose network's names do not resolve here: the same config with addresses.
      const local = conf
        .replace(/server app1:3000 /, 'server 127.0.0.1:3000 ')
        .replace(/server app2:3000 /, 'server 127.0.0.2:3000 ');
      expect(local).not.toMatch(/server app\d/);
      fs.writeFileSync(file, `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\n${local}`);
      const output = execFileSync('nginx', ['-t', '-p', dir, '-c', file], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(output).toBe('');
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr;
      throw new Error(`nginx -t failed: ${stderr ?? String(error)}`, { cause: error });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Dockerfile', () => {
  const stages = dockerStages();
  const build = stages[0]!;
  const runtime = stages.at(-1)!;
  const instructions = (stage: { lines: string[] }, keyword: string) =>
    stage.lines.filter((l) => l.toUpperCase().startsWith(`${keyword} `));

  it('builds in a stage of its own on the same base as the runtime', () => {
    expect(stages.length).toBe(2);
    expect(build.from).toMatch(/ AS build$/i);
    expect(runtime.from.split(' ')[1]).toBe(build.from.split(' ')[1]);
    const runs = instructions(build, 'RUN').join('\n');
    expect(runs).toContain('npm ci');
    expect(runs).toContain('node scripts/build.mjs');
    expect(runs).toContain('npm prune --omit=dev');
    // Every workspace's manifest is there before `npm ci`, or it fails.
    const pkg = JSON.parse(read('package.json')) as { workspaces: string[] };
    const copies = instructions(build, 'COPY').join('\n');
    for (const workspace of pkg.workspaces) {
      expect(copies, workspace).toContain(`${workspace}/package.json`);
    }
  });

  it('runs as a user other than root, with FFmpeg, a health check and DATA_DIR as a volume', () => {
    const users = instructions(runtime, 'USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^USER (root|0)(:|$)/);
    expect(instructions(runtime, 'RUN').join('\n')).toMatch(/apt-get install .*\bffmpeg\b/);
    const env = instructions(runtime, 'ENV').join(' ');
    const dataDir = /DATA_DIR=(\S+)/.exec(env)?.[1];
    expect(dataDir).toBe('/data');
    expect(instructions(runtime, 'VOLUME').join(' ')).toContain(`"${dataDir}"`);
    expect(instructions(runtime, 'EXPOSE')).toEqual(['EXPOSE 3000']);
    const health = instructions(runtime, 'HEALTHCHECK').join(' ');
    expect(health).toMatch(/CMD \["node", "-e", .*\/healthz/);
  });

  it('starts the file the build produces, and copies what it reads at run time', () => {
    const cmd = instructions(runtime, 'CMD');
    expect(cmd).toEqual(['CMD ["node", "apps/server/dist/main.js"]']);
    const entry = 'apps/server/dist/main.js';
    // tsc compiles apps/server/src into apps/server/dist (the build ran before the tests).
    const tsconfig = JSON.parse(read('apps/server/tsconfig.json')) as {
      compilerOptions: { rootDir: string; outDir: string };
    };
    expect(tsconfig.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist' });
    expect(fs.existsSync(path.join(root, 'apps/server/src/main.ts'))).toBe(true);
    expect(fs.existsSync(path.join(root, entry))).toBe(true);
    const copies = instructions(runtime, 'COPY').join('\n');
    for (const needed of [
      'node_modules',
      'apps/server/dist',
      'packages/protocol/dist',
      'apps/console/dist',
      'apps/widget/dist',
    ]) {
      expect(copies, needed).toContain(`/app/${needed}`);
    }
  });

  it('leaves dependencies, builds, data and secrets out of the build context', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const entry of ['**/node_modules', '**/dist', '.env', 'data', '.git']) {
      expect(ignored, entry).toContain(entry);
    }
  });
});
