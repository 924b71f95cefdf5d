import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * nhsuk-frontend's compiled stylesheet, without its `@font-face` rules. Those load the licensed Frutiger font from
 * assets.nhs.uk, which Warden's Content Security Policy (`font-src 'self'`) rightly blocks: a self-hosted service
 * makes no third-party requests, and the font is not distributed in the npm package. Without the rules the
 * browser never asks for the font and uses the design system's own fallback stack (Arial, sans-serif), instead of
 * trying, being refused and reporting a CSP violation on every page.
 */
export function stylesheetWithoutWebFonts(css: string): string {
  return css.replace(/@font-face\s*\{[^}]*\}/g, '');
}

/** Reads and rewrites the stylesheet once; the result is served from memory. */
export function nhsukStylesheet(nhsukDist: string): string {
  return stylesheetWithoutWebFonts(readFileSync(join(nhsukDist, 'nhsuk', 'nhsuk-frontend.min.css'), 'utf8'));
}
