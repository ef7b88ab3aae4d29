// Builds what changed since the last build: the TypeScript projects (tsc -b is incremental by
// itself), then each browser app only when its sources, the shared packages or the lock file
// changed (a fingerprint of their contents is kept in the app's dist/). `--force` rebuilds all.
import { spawnSync } from 'node:child_process';
import zlib from 'node:zlib';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const force = process.argv.includes('--force');
const quiet = process.argv.includes('--quiet');

/** The browser apps and what each is built from. */
const apps = [
  { name: 'console', inputs: ['apps/console'] },
  { name: 'widget', inputs: ['apps/widget'] },
];
const shared = [
  'packages/protocol/src',
  'packages/chat-client/src',
  'package-lock.json',
  // How the apps are built and compressed is an input too.
  'scripts/build.mjs',
];
const skip = new Set(['node_modules', 'dist', '.vite']);

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function filesUnder(relative, out) {
  const full = path.join(root, relative);
  const stat = fs.statSync(full, { throwIfNoEntry: false });
  if (!stat) return out;
  if (stat.isFile()) {
    out.push(relative);
    return out;
  }
  for (const entry of fs.readdirSync(full, { withFileTypes: true })) {
    if (skip.has(entry.name) || entry.name.endsWith('.tsbuildinfo')) continue;
    filesUnder(path.join(relative, entry.name), out);
  }
  return out;
}

/** Text files worth compressing: scripts, styles, pages, icons, data. */
const compressible = /\.(?:js|mjs|css|html|svg|json|txt|map)$/;

/**
 * Brotli (quality 11) and gzip (level 9) copies beside each compressible file of `dir`, made once
 * here so the server only picks one per request (`Accept-Encoding`). Kept only where they are
 * smaller; files under 1 KiB are left alone.
 */
function precompress(dir) {
  for (const file of filesUnder(path.relative(root, dir), [])) {
    if (!compressible.test(file)) continue;
    const full = path.join(root, file);
    const raw = fs.readFileSync(full);
    if (raw.length < 1024) continue;
    const variants = [
      [
        '.br',
        zlib.brotliCompressSync(raw, {
          params: {
            [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
            [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
          },
        }),
      ],
      ['.gz', zlib.gzipSync(raw, { level: 9 })],
    ];
    for (const [ext, packed] of variants) {
      if (packed.length < raw.length) fs.writeFileSync(full + ext, packed);
    }
  }
}

function fingerprint(inputs) {
  const hash = createHash('sha256');
  for (const file of inputs.flatMap((input) => filesUnder(input, [])).sort()) {
    hash
      .update(file)
      .update('\0')
      .update(fs.readFileSync(path.join(root, file)))
      .update('\0');
  }
  return hash.digest('hex');
}

const log = (line) => {
  if (!quiet) process.stdout.write(`${line}\n`);
};

run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-b']);

for (const app of apps) {
  const stampFile = path.join(root, 'apps', app.name, 'dist', '.build-fingerprint');
  const current = fingerprint([...app.inputs, ...shared]);
  const previous = fs.existsSync(stampFile) ? fs.readFileSync(stampFile, 'utf8') : '';
  if (!force && previous === current) {
    log(`${app.name}: unchanged since the last build`);
    continue;
  }
  log(`${app.name}: building`);
  run('npm', ['run', 'build', '--silent', '--workspace', `apps/${app.name}`]);
  precompress(path.join(root, 'apps', app.name, 'dist'));
  fs.writeFileSync(stampFile, current);
}
