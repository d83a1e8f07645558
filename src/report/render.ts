/**
 * The formats a counterexample is told in (`explain`, `check --format`, `replay
 * --format`): one place that maps a format name to its renderer.
 */
import { html } from './html.js';
import { lkml } from './lkml.js';
import { markdown } from './markdown.js';
import type { Attachment } from './reproduce.js';
import type { Story } from './story.js';


/**
 * The story in `format` (lkml, md or html; text and json are each command's own). With
 * `attach`, the md and html reports carry the trace file and the schedule command, so
 * that the report alone reproduces the run.
 */
export function renderStory(story: Story, format: 'lkml' | 'md' | 'html', attach?: Attachment): string {
  switch (format) {
    case 'lkml':
      return lkml(story);
    case 'md':
      return markdown(story, attach);
    case 'html':
      return html(story, attach);
  }
}
