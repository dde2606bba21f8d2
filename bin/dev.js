#!/usr/bin/env node
// Development entry: runs the compiled commands after `npm run build` (we compile with tsc; no ts-node).
import { execute } from '@oclif/core';

await execute({ development: true, dir: import.meta.url });
