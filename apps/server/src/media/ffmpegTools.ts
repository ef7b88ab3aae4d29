import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FfmpegTools, ToolSource } from './mediaTypes.js';

const require = createRequire(import.meta.url);

interface Tool {
  name: 'ffmpeg' | 'ffprobe';
  variable: 'FFMPEG_PATH' | 'FFPROBE_PATH';
  npmPackage: '@ffmpeg-installer/ffmpeg' | '@ffprobe-installer/ffprobe';
}

const FFMPEG: Tool = {
  name: 'ffmpeg',
  variable: 'FFMPEG_PATH',
  npmPackage: '@ffmpeg-installer/ffmpeg',
};
const FFPROBE: Tool = {
  name: 'ffprobe',
  variable: 'FFPROBE_PATH',
  npmPackage: '@ffprobe-installer/ffprobe',
};

/**
 * Finds ffmpeg and ffprobe, each on its own: the explicit path (FFMPEG_PATH / FFPROBE_PATH) when
 * given, else the first executable of that name on the PATH, else the static binary of the npm
 * package. Only looks at the file system; nothing is run.
 *
 * `pathEnv` defaults to `process.env.PATH`; pass `''` to skip the PATH search.
 */
export function resolveFfmpegTools(options: {
  ffmpegPath?: string;
  ffprobePath?: string;
  pathEnv?: string;
}): FfmpegTools {
  const pathEnv = options.pathEnv ?? process.env.PATH ?? '';
  const ffmpeg = resolveTool(FFMPEG, options.ffmpegPath, pathEnv);
  const ffprobe = resolveTool(FFPROBE, options.ffprobePath, pathEnv);
  return {
    ffmpeg: ffmpeg.path,
    ffprobe: ffprobe.path,
    source: { ffmpeg: ffmpeg.source, ffprobe: ffprobe.source },
  };
}

function resolveTool(
  tool: Tool,
  explicit: string | undefined,
  pathEnv: string,
): { path: string; source: ToolSource } {
  if (explicit !== undefined && explicit !== '') {
    const problem = executableProblem(explicit);
    if (problem !== null) {
      throw new Error(`${tool.variable} is set to "${explicit}", but ${problem}`);
    }
    return { path: path.resolve(explicit), source: tool.variable };
  }

  for (const dir of pathEnv.split(':')) {
    // An empty or relative PATH entry would mean "the current directory": never search there.
    if (dir === '' || !path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, tool.name);
    if (executableProblem(candidate) === null) return { path: candidate, source: 'PATH' };
  }

  let packaged: string;
  try {
    packaged = (require(tool.npmPackage) as { path: string }).path;
  } catch (error) {
    throw new Error(
      `${tool.name} was not found: set ${tool.variable}, put ${tool.name} on the PATH, ` +
        `or install ${tool.npmPackage} (${(error as Error).message})`,
      { cause: error },
    );
  }
  const problem = executableProblem(packaged);
  if (problem !== null) {
    throw new Error(
      `${tool.name} from ${tool.npmPackage} is at "${packaged}", but ${problem}; ` +
        `set ${tool.variable} or put ${tool.name} on the PATH`,
    );
  }
  return { path: packaged, source: 'npm package' };
}

/** Why `file` cannot be run, or null when it is an executable regular file. */
function executableProblem(file: string): string | null {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return 'that file does not exist';
  }
  if (!stat.isFile()) return 'that is not a regular file';
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    return 'that file is not executable';
  }
  return null;
}
