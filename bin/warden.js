#!/usr/bin/env node
// The `warden` command. Registers tsx in this process and loads the TypeScript entry point, so
// `npx warden <command>` needs no build step and signals reach Warden directly.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
