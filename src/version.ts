import { MANIFEST } from './package.js';

/** The version in package.json. */
export const VERSION: string = MANIFEST.version;
