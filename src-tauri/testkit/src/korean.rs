//! "No English sentence on a Korean screen", as one check shared by the app's Korean walk and
//! the CLI's Korean output test: the rules are `latin.js` (which Latin-script words are allowed:
//! the tenant's data, ids, versions, addresses, file names, product and service names). The walk
//! runs [`LATIN_JS`] in the web view; [`latin_left`] runs it under node for text printed by the
//! CLI.

use std::io::Write;
use std::process::{Command, Stdio};

/// The shared rules: defines `latinLeft(text, dataSorted)` and `withoutCommands(text)`.
pub const LATIN_JS: &str = include_str!("latin.js");

/// Each line of `text` with Latin-script words left after taking away `data` (the tenant's own
/// strings) and everything `latin.js` allows, plus commands typed at a terminal; `Err` when node
/// cannot be run (the UI tests need it too, so CI has it).
pub fn latin_left(text: &str, data: &[String]) -> Result<Vec<String>, String> {
    let script = format!(
        "{LATIN_JS}\n{}",
        r#"
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const dataSorted = [...new Set(input.data)].filter((s) => s.length >= 2).sort((a, b) => b.length - a.length);
const found = [];
for (const line of input.text.split('\n')) {
  const left = latinLeft(withoutCommands(line), dataSorted);
  if (left) found.push(`${line.trim()}   ← ${left.join(' ')}`);
}
process.stdout.write(JSON.stringify(found));
"#
    );
    let mut child = Command::new("node")
        .args(["-e", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run node: {e}"))?;
    let input = serde_json::json!({"text": text, "data": data}).to_string();
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "node failed: {}",
            String::from_utf8_lossy(&out.stdout)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
}

/// Every string in `value` (the simulator's state: names, ids, versions — data, not sentences).
pub fn strings_of(value: &serde_json::Value, out: &mut std::collections::BTreeSet<String>) {
    match value {
        serde_json::Value::String(s) => {
            out.insert(s.clone());
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| strings_of(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| strings_of(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_english_sentence_is_found_and_data_ids_versions_and_commands_are_not() {
        let data = vec!["Field Test".to_owned()];
        let Ok(found) = latin_left(
            "그룹 Field Test: HLApp 1.2.3, 0123456789abcdef\n\
             이어서 하려면: update-now --resume RUN\n\
             `asg-fota-cli login`으로 다시 로그인하세요\n\
             3 on target, 0 failed",
            &data,
        ) else {
            return crate::skip("node is not installed");
        };
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("on target"), "{found:?}");
    }
}
