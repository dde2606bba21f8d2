#!/usr/bin/env -S node --max-semi-space-size=4
// --max-semi-space-size=4: a small young generation. collect streams gigabytes through short-lived
// buffers, and V8 would grow each semi-space to 16 MiB for that allocation rate: about 20 MiB more RSS
// for no gain in speed (bench/README.md, containers). `node bin/run.js` runs without it.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
