import { createApp, type App } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';

function printWelcome(config: Config, app: App): void {
  const result = app.bootstrap;
  const url = config.publicUrl;
  const lines = [
    '',
    `  ServiceSystem is running on ${config.database.engine === 'sqlite' ? 'SQLite' : 'PostgreSQL'}${app.demo ? '  (DEMO MODE: sample data in ' + config.dataDir + ')' : ''}`,
    '',
    `  Console:       ${url}/console/`,
  ];
  const channelId = app.demo?.channelId ?? result.channel?.id;
  lines.push(`  Visitor page:  ${url}/chat/?channel=${channelId ?? '<channel id>'}`);
  if (app.demo) lines.push(`  Demo page:     ${url}/demo/   (chat as any of nine sample users)`);
  if (result.admin) {
    lines.push(`  Admin user:    ${result.admin.username}`);
    if (result.admin.generatedPassword) {
      lines.push(`  Admin password: ${result.admin.generatedPassword}`);
      if (result.initialPasswordPath) {
        lines.push(`                 (also in ${result.initialPasswordPath} until you change it)`);
      }
    } else {
      lines.push('  Admin password: the one in ADMIN_PASSWORD');
    }
  }
  if (app.demo) {
    lines.push('', '  Demo agents (log in to the console as any of them):');
    for (const agent of app.demo.agents) {
      lines.push(`    ${agent.username.padEnd(10)} ${agent.password}   (${agent.displayName})`);
    }
    lines.push(
      '',
      '  Try it: open the demo page, pick a user and write; log in to the console as an agent',
      '  in another browser window and answer. This is a demo: do not put real data in it.',
    );
  } else if (result.admin) {
    lines.push(
      '',
      '  Next steps (the admin console shows them as a checklist):',
      '    1. Log in to the console as the admin and create an agent (Agents → New).',
      '    2. Allow your website on the channel (Channels → Allowed websites) and paste the',
      '       embed snippet shown there into your pages, or link apps to the visitor page.',
      '    3. Log in as the agent (in another browser) and answer your first visitor.',
    );
  }
  lines.push('');
  process.stdout.write(lines.join('\n') + '\n');
}

async function main(): Promise<void> {
  let config: Config;
  try {
    // `--demo` (npm run demo) is DEMO=1.
    const demo = process.argv.includes('--demo');
    config = loadConfig(demo ? { ...process.env, DEMO: '1' } : process.env);
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
  if (app.metricsServer) {
    try {
      await app.metricsServer.listen();
    } catch (error) {
      await app.http.close();
      throw error;
    }
  }
  printWelcome(config, app);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `ServiceSystem failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
