import { Marked, type Tokens } from 'marked';

const SAFE_URL = /^(https?:|mailto:|#)/i;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": '#39' }[c]!};`);
}

/**
 * Markdown to HTML for model cards. Raw HTML in the card is shown as text, never interpreted, and
 * links keep only http(s), mailto and in-page targets; the component also runs the result through
 * DOMPurify, so a hostile card cannot script the page even if this renderer had a gap.
 */
const markdown = new Marked({
  gfm: true,
  async: false,
  renderer: {
    html(token: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(token.text);
    },
    link(token: Tokens.Link): string {
      const text = this.parser.parseInline(token.tokens);
      if (!SAFE_URL.test(token.href.trim())) return text;
      const title = token.title ? ` title="${escapeHtml(token.title)}"` : '';
      return `<a href="${escapeHtml(token.href)}"${title} rel="noopener noreferrer">${text}</a>`;
    },
    heading(token: Tokens.Heading): string {
      // The card sits under the screen's own headings: its # is a level-3 heading.
      const level = Math.min(6, token.depth + 2);
      return `<h${level}>${this.parser.parseInline(token.tokens)}</h${level}>\n`;
    },
    image(token: Tokens.Image): string {
      // Cards are read offline; an image reference is shown as its alt text.
      return escapeHtml(token.text);
    },
  },
});

/** Renders a model card's markdown to HTML with raw HTML escaped and unsafe links dropped. */
export function cardHtml(source: string): string {
  return markdown.parse(source) as string;
}
