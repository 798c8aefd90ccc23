// What "no English sentence on a Korean screen" means, in one place for the app's Korean walk
// (run in the web view, tests/it/korean_walk.rs) and the CLI's Korean output test (run by node,
// src-tauri/testkit/src/korean.rs): `latinLeft(text, dataSorted)` is the Latin-script words left
// in `text` after taking away the tenant's own data (`dataSorted`: its strings, longest first),
// product and service names, ids, versions, addresses, paths and file names — null when none is.
// `withoutCommands(text)` also takes away what a terminal user types (`asg-fota-cli …` in
// backticks, --flags with their VALUE, <GROUP>), for the CLI.

// Product and service names, and the service terms ko.js keeps in English as the SDK and ASG DM
// do (Image ID, Component ID); "English" is the language's own name in the language menu.
const PRODUCT = /\b(ASG FOTA|ASG210|ASG|FOTA|WIZ750SR(-Waton)?|WIZnet|Waton|Azure Sphere|Azure Resource Manager|Azure|Sphere|IoT Hub|IoT|HLApp|RTApp|BoardConfig|Image ID|Component ID|ARM|API|SDK|CSV|JSON|zip|MAC|IDs?|OS|URL|HTTPS?|MT3620|A7|M4|Microsoft|Entra|Secret Service|MIT|Linux|Windows|macOS|Ctrl|Cmd|Esc|Enter|Shift|UTC|UpdateAll|No3rdPartyAppUpdates|NoUpdates|Retail Evaluation|Retail|RetailEval|English|EN|kB|MB|GB|KB)\b/g;

// The text without the tenant's data and the product names, taken away in either order (a
// product name may be part of a data value, "ASG210-Gateways", or hold one, "Retail Evaluation").
function latinLeft(text, dataSorted) {
  const withoutData = (s) => {
    for (const d of dataSorted) if (s.includes(d)) s = s.split(d).join(' ');
    return s;
  };
  const orders = [withoutData(` ${text} `).replace(PRODUCT, ' '), withoutData(` ${text} `.replace(PRODUCT, ' '))];
  const left = orders.map((s) => s
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, ' ')                 // addresses
    .replace(/\S+@\S+\.\S+/g, ' ')                                 // e-mail addresses
    .replace(/\S*[\/\\]\S*/g, ' ')                                  // paths
    .replace(/\S+\.(imagepackage|zip|csv|json|jsonl|log|txt|deb|rpm|AppImage|msi|exe|dmg)\b/gi, ' ')
    .replace(/\S*\b[\w-]+\.[a-z][\w.-]*[a-z]\b/gi, ' ')           // host and file names
    .replace(/\?\w+=\w+/g, ' ')                                     // address parameters
    .replace(/\b[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\b/gi, ' ') // GUIDs
    .replace(/\b[a-z]+-\d{8}-\d{6}-[0-9a-f]{4,}\b/g, ' ')           // run ids (update-20261202-163128-1da268)
    .replace(/\b([0-9a-f]{2}[:-]){5}[0-9a-f]{2}\b/gi, ' ')          // MAC addresses
    .replace(/\b[0-9a-f]+…[0-9a-f]+\b/gi, ' ')                      // shortened ids
    .replace(/\b(?=[0-9a-f]*\d)[0-9a-f]{6,}\b/gi, ' ')               // hex ids
    .replace(/\b\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(\.\d+)?(Z|[+-]\d\d:\d\d)?/g, ' ') // RFC 3339 times
    .replace(/\bv?\d+(\.\d+)+([-+][\w.]+)?\b/gi, ' ')               // versions
    .replace(/(^|\s)\.[a-z]+\b/gi, ' ')                               // file name extensions
    .replace(PRODUCT, ' ')
    .match(/[A-Za-z]{2,}/g));
  return left[0] && left[1] ? (left[0].length <= left[1].length ? left[0] : left[1]) : null;
}

// What a terminal user types, taken away before `latinLeft` for the CLI's output: commands in
// backticks, "asg-fota-cli <verb> …" and "update-now …" examples, --flags with an upper-case
// VALUE, <PLACEHOLDERS> and the [y/N] of a question; a line of JSON (`profile show` prints the
// stored settings as they are in the profiles file); and what follows "기술 정보(원문):", the
// core's original English text kept for support (docs/gui-contract.md, "Details").
function withoutCommands(text) {
  if (/^\s*"[\w-]+": /.test(text)) return '';
  return text
    .replace(/기술 정보\(원문\):.*$/, ' ')
    .replace(/`[^`]*`/g, ' ')
    .replace(/\basg-fota-cli( [a-z][a-z-]*)*/g, ' ')
    .replace(/\b(update-now|update-node)\b/g, ' ')
    .replace(/--[a-z][\w-]*( [A-Z][A-Z_]+\b)?/g, ' ')
    .replace(/<[A-Z_]+>/g, ' ')
    .replace(/\[y\/N\]/g, ' ');
}
