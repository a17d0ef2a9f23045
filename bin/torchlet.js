#!/usr/bin/env node
// The installed command runs the compiled CLI (npm's `prepare` builds dist/).
import process from "node:process";
import { main } from "../dist/cli/main.js";

process.exitCode = main(process.argv.slice(2), process);
