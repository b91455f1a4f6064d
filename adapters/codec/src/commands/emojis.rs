//! Custom emoji commands (docs/design/emojis.md). Fields of the wrong shape become the
//! `Invalid <cmd> command scheme: …` error, reported after the owner gate; the `image`
//! field is decoded here, from a `data:` URL or bare base64.

use application::errors::EmojiError;
use application::services::{EmojiChange, NewEmoji};
use base64::Engine;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::Value;

use super::{commands, handler, origin};
use crate::request::Request;

commands!(emoji_get_all, emoji_get_id, emoji_get_filename, emoji_add, emoji_update, emoji_delete);

/// Standard base64; padding may be left out, nothing else is forgiven.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

const INVALID_URI: &str = "Invalid image data URI";
const INVALID_BASE64: &str = "Invalid base64 image data";

/// A required string field.
fn string(req: &Request, cmd: &'static str, key: &str) -> Result<String, EmojiError> {
    match req.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        None => Err(EmojiError::scheme(cmd, format!("{key}: Field required"))),
        Some(_) => Err(EmojiError::scheme(cmd, format!("{key}: Input should be a valid string"))),
    }
}

/// An optional string field (`null` counts as absent).
fn optional_string(req: &Request, cmd: &'static str, key: &str) -> Result<Option<String>, EmojiError> {
    match req.get(key) {
        None | Some(Value::Null) => Ok(None),
        _ => string(req, cmd, key).map(Some),
    }
}

/// `emoji_id`: an integer, or a string of digits (surrounding whitespace allowed).
fn emoji_id(req: &Request, cmd: &'static str) -> Result<i64, EmojiError> {
    let parsed = match req.get("emoji_id") {
        None => return Err(EmojiError::scheme(cmd, "emoji_id: Field required")),
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => {
            let digits = s.trim();
            (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.parse().ok()).flatten()
        }
        Some(_) => None,
    };
    parsed.ok_or_else(|| EmojiError::scheme(cmd, "emoji_id: Input should be a valid integer"))
}

/// The base64 part of `data:<type>;base64,<data>` when `text` is a data URL (`Ok(None)`
/// when it is not one). With `image_only`, the type must be `image/<subtype>`.
fn data_url_payload(text: &str, image_only: bool) -> Result<Option<&str>, &'static str> {
    let Some(rest) = text.get(..5).filter(|p| p.eq_ignore_ascii_case("data:")).map(|_| &text[5..]) else {
        return Ok(None);
    };
    let (header, payload) = rest.split_once(',').ok_or(INVALID_URI)?;
    let media_type = header
        .len()
        .checked_sub(7)
        .filter(|&at| header.is_char_boundary(at) && header[at..].eq_ignore_ascii_case(";base64"))
        .map(|at| &header[..at])
        .ok_or(INVALID_URI)?;
    let type_ok = media_type.bytes().all(|b| b.is_ascii_alphanumeric() || b"./+-".contains(&b));
    let image_ok = !image_only
        || media_type.split_once('/').is_some_and(|(t, sub)| t.eq_ignore_ascii_case("image") && !sub.is_empty());
    if !type_ok || !image_ok || payload.is_empty() {
        return Err(INVALID_URI);
    }
    Ok(Some(payload))
}

/// The bytes of an `emoji_add` image: a `data:` URL of any declared type, or bare base64.
/// Text that cannot decode to at most `max_bytes` is refused before it is decoded.
fn image_bytes(text: &str, max_bytes: usize) -> Result<Vec<u8>, EmojiError> {
    let scheme = |detail| EmojiError::scheme("emoji_add", detail);
    let payload = data_url_payload(text, false).map_err(scheme)?.unwrap_or(text);
    if payload.len() > max_bytes.div_ceil(3).saturating_mul(4) {
        return Err(EmojiError::TooLarge);
    }
    BASE64.decode(payload).ok().filter(|bytes| !bytes.is_empty()).ok_or_else(|| scheme(INVALID_BASE64))
}

/// Whether an `emoji_update` carries an image: a `data:image/…;base64,…` URL with valid
/// base64 (its content is never used; docs/design/emojis.md#update).
fn update_image(req: &Request) -> Result<bool, EmojiError> {
    let scheme = |detail| EmojiError::scheme("emoji_update", detail);
    let Some(text) = optional_string(req, "emoji_update", "image")? else { return Ok(false) };
    let payload = data_url_payload(&text, true).map_err(scheme)?.ok_or(scheme(INVALID_URI))?;
    BASE64.decode(payload).map(|_| true).map_err(|_| scheme(INVALID_BASE64))
}

fn new_emoji(req: &Request, max_bytes: usize) -> Result<NewEmoji, EmojiError> {
    let name = string(req, "emoji_add", "name")?;
    let image = string(req, "emoji_add", "image")?;
    Ok(NewEmoji { name, image: image_bytes(&image, max_bytes)? })
}

fn emoji_change(req: &Request) -> Result<EmojiChange, EmojiError> {
    let id = emoji_id(req, "emoji_update")?;
    let name = optional_string(req, "emoji_update", "name")?;
    Ok(EmojiChange { id, name, image: update_image(req)? })
}

handler!(emoji_get_all(app, _session, _req) { app.emojis.all().await });

handler!(emoji_get_id(app, _session, req) { app.emojis.id_of(string(req, "emoji_get_id", "name")).await });

handler!(emoji_get_filename(app, _session, req) {
    app.emojis.file_of(string(req, "emoji_get_filename", "name")).await
});

handler!(emoji_add(app, session, req) {
    let input = new_emoji(req, app.settings.emoji.max_bytes);
    app.emojis.add(session, input, &origin(session, req)).await
});

handler!(emoji_update(app, session, req) {
    app.emojis.update(session, emoji_change(req), &origin(session, req)).await
});

handler!(emoji_delete(app, session, req) {
    app.emojis.delete(session, emoji_id(req, "emoji_delete"), &origin(session, req)).await
});

#[cfg(test)]
mod tests {
    use super::*;

    fn req(fields: Value) -> Request {
        Request { cmd: "x".into(), fields: fields.as_object().unwrap().clone(), listener: None }
    }

    fn detail(e: EmojiError) -> String {
        e.to_string()
    }

    #[test]
    fn images_come_as_data_urls_or_bare_base64() {
        assert_eq!(image_bytes("data:image/gif;base64,R0lGODlh", 100).unwrap(), b"GIF89a");
        assert_eq!(image_bytes("data:text/html;base64,R0lGODlh", 100).unwrap(), b"GIF89a", "the type is ignored");
        assert_eq!(image_bytes("DATA:;BASE64,R0lGODlh", 100).unwrap(), b"GIF89a");
        assert_eq!(image_bytes("R0lGODlh", 100).unwrap(), b"GIF89a");
        assert_eq!(image_bytes("R0lGODk", 100).unwrap(), b"GIF89", "padding may be missing");
        assert_eq!(image_bytes("R0lGODk=", 100).unwrap(), b"GIF89");
        let uri = "Invalid emoji_add command scheme: Invalid image data URI";
        let b64 = "Invalid emoji_add command scheme: Invalid base64 image data";
        for (text, wanted) in [
            ("data:image/gif,R0lGODlh", uri),
            ("data:image/gif;base64", uri),
            ("data:image/gif;base64,", uri),
            ("data:image gif;base64,R0lGODlh", uri),
            ("data:image/gif;base64,R0lG ODlh", b64),
            ("R0lGODlh!", b64),
            ("R0lGODlh====", b64),
            ("", b64),
        ] {
            assert_eq!(detail(image_bytes(text, 100).unwrap_err()), wanted, "{text:?}");
        }
        assert_eq!(image_bytes(&"A".repeat(12), 6), Err(EmojiError::TooLarge), "refused before decoding");
        assert_eq!(image_bytes(&"A".repeat(12), 9), Ok(vec![0; 9]), "12 characters hold 9 bytes");
    }

    #[test]
    fn ids_are_integers_or_digit_strings() {
        let id = |v: Value| emoji_id(&req(serde_json::json!({"emoji_id": v})), "emoji_delete");
        assert_eq!(id(3.into()), Ok(3));
        assert_eq!(id(" 04 ".into()), Ok(4));
        assert_eq!(id((-2).into()), Ok(-2), "matches nothing, like the original");
        let wrong = "Invalid emoji_delete command scheme: emoji_id: Input should be a valid integer";
        for bad in
            [serde_json::json!(3.0), "abc".into(), "".into(), Value::Null, true.into(), "99999999999999999999".into()]
        {
            assert_eq!(id(bad.clone()).map_err(detail), Err(wrong.into()), "{bad}");
        }
        let missing = emoji_id(&req(serde_json::json!({})), "emoji_delete").map_err(detail);
        assert_eq!(missing, Err("Invalid emoji_delete command scheme: emoji_id: Field required".into()));
    }

    #[test]
    fn update_images_must_be_image_data_urls() {
        let image = |v: Value| update_image(&req(serde_json::json!({"image": v}))).map_err(detail);
        assert_eq!(image(Value::Null), Ok(false));
        assert_eq!(image("data:image/png;base64,R0lGODlh".into()), Ok(true));
        let uri = Err("Invalid emoji_update command scheme: Invalid image data URI".to_owned());
        assert_eq!(image("R0lGODlh".into()), uri);
        assert_eq!(image("data:text/plain;base64,R0lGODlh".into()), uri);
        assert_eq!(image("data:image/png;base64,R0lGODk".into()), Ok(true));
        let b64 = Err("Invalid emoji_update command scheme: Invalid base64 image data".to_owned());
        assert_eq!(image("data:image/png;base64,R0lG*Dlh".into()), b64);
        assert_eq!(
            image(5.into()),
            Err("Invalid emoji_update command scheme: image: Input should be a valid string".into())
        );
    }
}
