// The server's entry point: the Node.js version first, then the server (run.ts).
import './nodeVersion.js';

await import('./run.js');
