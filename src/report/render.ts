/**
 * The formats a counterexample is told in (`explain`, `check --format`, `replay
 * --format`): one place that maps a format name to its renderer.
 */
import { MmraceError } from '../errors.js';
import { html } from './html.js';
import { lkml } from './lkml.js';
import { markdown } from './markdown.js';
import type { Story } from './story.js';

export const FORMATS = ['text', 'lkml', 'md', 'html', 'json'] as const;
export type Format = (typeof FORMATS)[number];

export function isFormat(s: string): s is Format {
  return (FORMATS as readonly string[]).includes(s);
}

/** The story in `format` (lkml, md or html; text and json are each command's own). */
export function renderStory(story: Story, format: 'lkml' | 'md' | 'html'): string {
  switch (format) {
    case 'lkml':
      return lkml(story);
    case 'md':
      return markdown(story);
    case 'html':
      return html(story);
  }
}

/** Checks a --format value (commander's choices do too; this is for the API). */
export function checkFormat(s: string): Format {
  if (!isFormat(s)) throw new MmraceError('E_USAGE', `unknown format ${s}`, `use one of ${FORMATS.join(', ')}`);
  return s;
}
