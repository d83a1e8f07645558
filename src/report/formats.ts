/** The names of the report formats (`--format`), apart from their renderers (render.ts): the command line's options load no renderer. */
export const FORMATS = ['text', 'lkml', 'md', 'html', 'json'] as const;
export type Format = (typeof FORMATS)[number];
