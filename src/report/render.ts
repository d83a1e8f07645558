/**
 * The formats a counterexample is told in (`explain`, `check --format`, `replay
 * --format`): one place that maps a format name to its renderer.
 */
import { html } from './html.js';
import { lkml } from './lkml.js';
import { markdown } from './markdown.js';
import type { Story } from './story.js';


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
