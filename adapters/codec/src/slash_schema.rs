//! Parsing `slash_register` commands against the original's schema
//! (docs/design/slash-commands.md#command-schema), leniently where the original is: unknown keys are ignored,
//! `null` counts as absent, booleans accept the usual spellings. Errors name the field and
//! the reason in the style bot authors know from the original.

use application::slash::{OptionKind, SlashCommand, SlashOption};
use serde_json::{Map, Value};

/// Longest command or option name accepted.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest description accepted.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;
/// Most commands one registration may carry.
pub const MAX_COMMANDS: usize = 100;
/// Most options one command may declare.
pub const MAX_OPTIONS: usize = 25;
/// Most choices one enum option may list.
pub const MAX_CHOICES: usize = 100;

struct Fault {
    at: String,
    why: String,
}

type Parsed<T> = Result<T, Fault>;

fn fault(at: &str, why: impl Into<String>) -> Fault {
    Fault { at: at.to_owned(), why: why.into() }
}

fn join(at: &str, key: impl std::fmt::Display) -> String {
    if at.is_empty() { key.to_string() } else { format!("{at}.{key}") }
}

fn present<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

fn text(v: &Value, at: &str, max: usize, min: usize) -> Parsed<String> {
    let s = v.as_str().ok_or_else(|| fault(at, "Input should be a valid string"))?;
    let n = s.chars().count();
    if n < min {
        return Err(fault(at, format!("String should have at least {min} character")));
    }
    if n > max {
        return Err(fault(at, format!("String should have at most {max} characters")));
    }
    Ok(s.to_owned())
}

fn required_text(obj: &Map<String, Value>, at: &str, key: &str, max: usize, min: usize) -> Parsed<String> {
    let at = join(at, key);
    let v = obj.get(key).ok_or_else(|| fault(&at, "Field required"))?;
    text(v, &at, max, min)
}

fn boolean(v: &Value, at: &str) -> Parsed<bool> {
    let bad = || fault(at, "Input should be a valid boolean");
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Number(n) => match n.as_f64() {
            Some(0.0) => Ok(false),
            Some(1.0) => Ok(true),
            _ => Err(bad()),
        },
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "0" | "off" | "f" | "false" | "n" | "no" => Ok(false),
            "1" | "on" | "t" | "true" | "y" | "yes" => Ok(true),
            _ => Err(bad()),
        },
        _ => Err(bad()),
    }
}

fn list<'a>(v: &'a Value, at: &str, max: usize) -> Parsed<&'a Vec<Value>> {
    let items = v.as_array().ok_or_else(|| fault(at, "Input should be a valid list"))?;
    if items.len() > max {
        return Err(fault(at, format!("List should have at most {max} items after validation, not {}", items.len())));
    }
    Ok(items)
}

fn strings(obj: &Map<String, Value>, at: &str, key: &str, max: usize) -> Parsed<Option<Vec<String>>> {
    let at = join(at, key);
    let Some(v) = present(obj, key) else { return Ok(None) };
    let items = list(v, &at, max)?;
    items.iter().enumerate().map(|(i, x)| text(x, &join(&at, i), MAX_NAME_CHARS, 0)).collect::<Parsed<_>>().map(Some)
}

fn option(v: &Value, at: &str) -> Parsed<SlashOption> {
    let obj = v
        .as_object()
        .ok_or_else(|| fault(at, "Input should be a valid dictionary or instance of SlashCommandOption"))?;
    let name = required_text(obj, at, "name", MAX_NAME_CHARS, 1)?;
    let description = required_text(obj, at, "description", MAX_DESCRIPTION_CHARS, 0)?;
    let kind_at = join(at, "type");
    let kind = obj.get("type").ok_or_else(|| fault(&kind_at, "Field required"))?;
    let kind = kind
        .as_str()
        .and_then(OptionKind::parse)
        .ok_or_else(|| fault(&kind_at, "Input should be 'str', 'int', 'bool', 'enum' or 'float'"))?;
    let choices = strings(obj, at, "choices", MAX_CHOICES)?;
    let required = match present(obj, "required") {
        Some(v) => boolean(v, &join(at, "required"))?,
        None => true,
    };
    if kind == OptionKind::Enum && choices.as_ref().is_none_or(Vec::is_empty) {
        return Err(fault(at, "Value error, Enum options must define a non-empty 'choices' list"));
    }
    Ok(SlashOption { name, description, kind, choices, required })
}

fn command(v: &Value) -> Parsed<SlashCommand> {
    let obj =
        v.as_object().ok_or_else(|| fault("", "Input should be a valid dictionary or instance of SlashCommand"))?;
    let name = required_text(obj, "", "name", MAX_NAME_CHARS, 1)?;
    let description = required_text(obj, "", "description", MAX_DESCRIPTION_CHARS, 0)?;
    let whitelist = strings(obj, "", "whitelistRoles", MAX_CHOICES)?;
    let blacklist = strings(obj, "", "blacklistRoles", MAX_CHOICES)?;
    let options = match present(obj, "options") {
        Some(v) => {
            let items = list(v, "options", MAX_OPTIONS)?;
            items.iter().enumerate().map(|(i, o)| option(o, &join("options", i))).collect::<Parsed<Vec<_>>>()?
        }
        None => vec![],
    };
    let ephemeral = match present(obj, "ephemeral") {
        Some(v) => boolean(v, "ephemeral")?,
        None => false,
    };
    Ok(SlashCommand { name, description, whitelist, blacklist, options, ephemeral })
}

/// The `commands` of `slash_register`: `None` when not a non-empty list; `Some(Err(text))`
/// for the first command that breaks the schema.
pub fn parse_commands(v: Option<&Value>) -> Option<Result<Vec<SlashCommand>, String>> {
    let items = v?.as_array().filter(|a| !a.is_empty())?;
    if items.len() > MAX_COMMANDS {
        return Some(Err(format!("at most {MAX_COMMANDS} commands may be registered, got {}", items.len())));
    }
    Some(items.iter().map(command).collect::<Parsed<Vec<_>>>().map_err(|f| {
        let place = if f.at.is_empty() { String::new() } else { format!("{}\n", f.at) };
        format!("1 validation error for SlashCommand\n{place}  {}", f.why)
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn error(v: Value) -> String {
        parse_commands(Some(&json!([v]))).unwrap().unwrap_err()
    }

    #[test]
    fn a_chats_py_command_parses_with_defaults() {
        let v = json!([{"name": "remind", "description": "Set a reminder", "ephemeral": false,
            "whitelistRoles": [], "blacklistRoles": [], "extra": 1,
            "options": [{"name": "minutes", "type": "int", "description": "delay", "required": false, "choices": []}]}]);
        let parsed = parse_commands(Some(&v)).unwrap().unwrap();
        assert_eq!(parsed[0].options[0].kind, OptionKind::Int);
        assert!(!parsed[0].options[0].required);
        let bare = parse_commands(Some(&json!([{"name": "x", "description": "", "options": [
            {"name": "a", "description": "", "type": "str"}]}])))
        .unwrap()
        .unwrap();
        assert!(bare[0].options[0].required, "the original's default is required");
        assert_eq!(bare[0].whitelist, None);
    }

    #[test]
    fn schema_errors_name_the_field() {
        assert_eq!(error(json!({"description": "d"})), "1 validation error for SlashCommand\nname\n  Field required");
        assert_eq!(
            error(
                json!({"name": "n", "description": "d", "options": [{"name": "a", "description": "", "type": "text"}]})
            ),
            "1 validation error for SlashCommand\noptions.0.type\n  Input should be 'str', 'int', 'bool', 'enum' or 'float'"
        );
        assert_eq!(
            error(
                json!({"name": "n", "description": "d", "options": [{"name": "a", "description": "", "type": "enum"}]})
            ),
            "1 validation error for SlashCommand\noptions.0\n  Value error, Enum options must define a non-empty 'choices' list"
        );
        assert_eq!(
            error(json!({"name": "n", "description": "d", "ephemeral": "maybe"})),
            "1 validation error for SlashCommand\nephemeral\n  Input should be a valid boolean"
        );
        assert_eq!(
            error(json!("remind")),
            "1 validation error for SlashCommand\n  Input should be a valid dictionary or instance of SlashCommand"
        );
        assert!(parse_commands(Some(&json!([]))).is_none());
        assert!(parse_commands(Some(&json!({"name": "x"}))).is_none());
        assert!(parse_commands(None).is_none());
    }

    #[test]
    fn lax_booleans_are_accepted() {
        let v = json!([{"name": "n", "description": "d", "ephemeral": "yes",
            "options": [{"name": "a", "description": "", "type": "bool", "required": 0}]}]);
        let parsed = parse_commands(Some(&v)).unwrap().unwrap();
        assert!(parsed[0].ephemeral);
        assert!(!parsed[0].options[0].required);
    }
}
