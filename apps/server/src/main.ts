import { createApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import type { BootstrapResult } from './domain/bootstrap.js';

function printWelcome(config: Config, result: BootstrapResult): void {
  const lines = [
    '',
    `  ServiceSystem is running on ${config.database.engine === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`,
    `  Console:       ${config.publicUrl}/console/`,
  ];
  if (result.channel) {
    lines.push(`  Visitor page:  ${config.publicUrl}/chat/?channel=${result.channel.id}`);
  } else {
    lines.push(`  Visitor page:  ${config.publicUrl}/chat/?channel=<channel id>`);
  }
  if (result.admin) {
    lines.push(`  Admin user:    ${result.admin.username}`);
    if (result.admin.generatedPassword) {
      lines.push(
        `  Admin password: ${result.admin.generatedPassword}   (shown once: write it down, then change it)`,
      );
    } else {
      lines.push('  Admin password: the one in ADMIN_PASSWORD');
    }
  }
  lines.push(
    `  Log in:        curl -X POST ${config.publicUrl}/api/v1/auth/login -H 'content-type: application/json' \\`,
    `                   -d '{"username":"<user>","password":"<password>"}'`,
    '',
  );
  process.stdout.write(lines.join('\n') + '\n');
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  const app = await createApp(config);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.http.log.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      app.http.log.error('shutdown took longer than 15 s; exiting');
      process.exit(1);
    }, 15_000);
    force.unref();
    app.http.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.http.log.error({ err: error }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  await app.http.listen({ port: config.port, host: config.host });
  printWelcome(config, app.bootstrap);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `ServiceSystem failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
