/**
 * Stops with one clear line on a Node.js older than 22. Imported first by the entry points (the
 * server and the operator's CLI), before anything that loads the SQLite driver, whose native
 * module would crash an older Node outright. Imports nothing itself.
 */
const [major] = process.versions.node.split('.').map(Number);
if (major === undefined || major < 22) {
  process.stderr.write(
    `ServiceSystem needs Node.js 22 or newer; this is ${process.version}. ` +
      'Install Node 24 (https://nodejs.org, `nvm install 24`, or `npm install --prefix ~/.node24 node@24`) and start again.\n',
  );
  process.exit(1);
}

export {};
