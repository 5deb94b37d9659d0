import { describe, expect, it } from 'vitest';
import { cardHtml } from '../../../../renderer/src/models/card.js';

describe('model card markdown', () => {
  it('renders headings (shifted under the screen headings), lists, tables and emphasis', () => {
    const html = cardHtml(
      '# Chest X-ray\n\n## Intended use\n\n- adults\n- **not** children\n\n| a | b |\n|---|---|\n| 1 | 2 |\n',
    );
    expect(html).toContain('<h3>Chest X-ray</h3>');
    expect(html).toContain('<h4>Intended use</h4>');
    expect(html).toContain('<li><strong>not</strong> children</li>');
    expect(html).toContain('<table>');
    expect(html).toContain('<td>1</td>');
  });

  it('shows raw HTML as text instead of interpreting it', () => {
    const html = cardHtml('Hello <script>alert(1)</script>\n\n<img src=x onerror="alert(1)">\n');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;');
  });

  it('keeps http and mailto links and drops script links to their text', () => {
    expect(cardHtml('[paper](https://example.org/p)')).toContain('<a href="https://example.org/p"');
    expect(cardHtml('[mail](mailto:a@b.c)')).toContain('href="mailto:a@b.c"');
    const bad = cardHtml('[click](javascript:alert(1))');
    expect(bad).not.toContain('href');
    expect(bad).toContain('click');
  });

  it('never fetches images: an image shows as its alt text', () => {
    const html = cardHtml('![ROC curve](https://example.org/roc.png)');
    expect(html).not.toContain('<img');
    expect(html).toContain('ROC curve');
  });
});
