// Progressive enhancement only: every page works without this file.
import { initAll } from '/nhsuk/nhsuk-frontend.min.js';

initAll();
