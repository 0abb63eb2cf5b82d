#!/usr/bin/env node
// The installed `agentctl` command: registers tsx's loader and runs the TypeScript entry point.
require('tsx/cjs/api').register();
require('../src/main.ts');
