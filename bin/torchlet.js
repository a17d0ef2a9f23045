#!/usr/bin/env node
// The installed command runs the compiled CLI (npm's `prepare` builds dist/).
import { main } from "../dist/cli/main.js";

process.exitCode = main(process.argv.slice(2), process);
