//! Custom emoji (docs/design/emojis.md): listing and looking up for every logged-in user,
//! adding, renaming and deleting for owners, and what the HTTP route and reactions ask.
//!
//! Every emoji is kept in a catalogue read from the store at first use and re-read after
//! each change; changes run one at a time, so a name found free stays free until stored.
//! An image is checked completely before anything is written, written to the emoji folder
//! before its record, and removed again when the record cannot be stored.

use std::sync::{Arc, RwLock};

use domain::emoji::{name_key, parse_name, safe_file_name};
use domain::permission::named::MANAGE_SERVER;
use domain::{Emoji, ImageKind};

use super::{Directory, Outcome, Reply};
use crate::errors::EmojiError;
use crate::hub::Hub;
use crate::ports::{
    Clock, ClusterEvent, EmojiImages, Forget, ImageProblem, Store, StoreError, StoreErrorKind, StoreResult, Target,
};
use crate::settings::Settings;
use crate::{Origin, Packet, Session};

/// Input of `emoji_add`, its fields already of the right types.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEmoji {
    /// The requested name, as sent.
    pub name: String,
    /// The decoded image bytes.
    pub image: Vec<u8>,
}

/// Input of `emoji_update`.
#[derive(Debug, Clone, PartialEq)]
pub struct EmojiChange {
    /// The emoji's id.
    pub id: i64,
    /// The requested new name, as sent.
    pub name: Option<String>,
    /// Whether a new image was sent (never applied: see docs/design/emojis.md#update).
    pub image: bool,
}

/// The emoji service.
pub struct Emojis {
    store: Arc<dyn Store>,
    directory: Arc<Directory>,
    images: Arc<dyn EmojiImages>,
    hub: Arc<Hub>,
    clock: Arc<dyn Clock>,
    settings: Arc<Settings>,
    /// Held by every change, and by the first load of the catalogue.
    writes: tokio::sync::Mutex<()>,
    catalogue: RwLock<Option<Arc<Vec<Emoji>>>>,
}

/// The parts an [`Emojis`] service is built from.
pub struct EmojisParts {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// The owner gate.
    pub directory: Arc<Directory>,
    /// Image checks and the emoji folder.
    pub images: Arc<dyn EmojiImages>,
    /// Connections (changes are sent to every logged-in one).
    pub hub: Arc<Hub>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Limits and allowed kinds.
    pub settings: Arc<Settings>,
}

/// Logs a failure of `emoji_add` and answers the catch-all text.
fn add_failed(what: &str, error: &dyn std::fmt::Display) -> EmojiError {
    tracing::error!(error = %error, "emoji_add: {what}");
    EmojiError::AddFailed
}

impl Emojis {
    /// The emoji service.
    pub fn new(p: EmojisParts) -> Self {
        Self {
            store: p.store,
            directory: p.directory,
            images: p.images,
            hub: p.hub,
            clock: p.clock,
            settings: p.settings,
            writes: tokio::sync::Mutex::new(()),
            catalogue: RwLock::new(None),
        }
    }

    fn cached(&self) -> Option<Arc<Vec<Emoji>>> {
        self.catalogue.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Every emoji, ascending by id.
    async fn catalogue(&self) -> StoreResult<Arc<Vec<Emoji>>> {
        if let Some(c) = self.cached() {
            return Ok(c);
        }
        let _writes = self.writes.lock().await;
        self.current().await
    }

    /// The catalogue, loading it when needed; the caller holds `writes`.
    async fn current(&self) -> StoreResult<Arc<Vec<Emoji>>> {
        match self.cached() {
            Some(c) => Ok(c),
            None => self.reload().await,
        }
    }

    /// Reads the catalogue from the store; the caller holds `writes`. On failure it is
    /// forgotten, to be read again at its next use.
    async fn reload(&self) -> StoreResult<Arc<Vec<Emoji>>> {
        let fresh = self.store.emojis().await.map(Arc::new);
        *self.catalogue.write().unwrap_or_else(|p| p.into_inner()) = fresh.as_ref().ok().cloned();
        fresh
    }

    /// The emoji a trimmed, case-insensitive name names.
    async fn by_name(&self, name: Result<String, EmojiError>) -> Result<(String, Emoji), EmojiError> {
        let name = name?;
        let key = name_key(&name);
        let found = self.catalogue().await?.iter().find(|e| name_key(&e.name) == key).cloned();
        found.map(|e| (name, e)).ok_or(EmojiError::NotFound)
    }

    /// Sends a change to the caller (with its listener) and every other logged-in connection.
    /// Other nodes drop their catalogue first, then deliver the same bytes.
    fn announce(&self, packet: &Packet, origin: &Origin) -> Reply {
        let shared = self.hub.encode(packet);
        self.hub.publish(|| ClusterEvent::Forget(Forget::Emojis));
        self.hub.publish(|| ClusterEvent::Deliver { target: Target::Everyone, frame: shared.clone() });
        let everyone = self.hub.authenticated_conns();
        self.hub.fan_out_frame(packet, shared, &everyone, origin);
        Reply::Done
    }

    /// Another node changed the emoji: the catalogue is read again at next use.
    pub fn forget(&self) {
        *self.catalogue.write().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// `emoji_get_all`: open to every logged-in user.
    pub async fn all(&self) -> Outcome<EmojiError> {
        Ok(Reply::Packet(Packet::EmojiList(self.catalogue().await?.to_vec())))
    }

    /// `emoji_get_id`.
    pub async fn id_of(&self, name: Result<String, EmojiError>) -> Outcome<EmojiError> {
        let (name, emoji) = self.by_name(name).await?;
        Ok(Reply::Packet(Packet::EmojiId { name, id: emoji.id }))
    }

    /// `emoji_get_filename`: the bare file name, never a server path.
    pub async fn file_of(&self, name: Result<String, EmojiError>) -> Outcome<EmojiError> {
        let (name, emoji) = self.by_name(name).await?;
        if emoji.file_name.is_empty() {
            return Err(EmojiError::FileNotFound);
        }
        Ok(Reply::Packet(Packet::EmojiFileName { name, file_name: emoji.file_name }))
    }

    /// The checked kind of an uploaded image: size, leading bytes, allowed kinds, then the
    /// header's dimensions and a complete decode.
    async fn checked_image(&self, image: &Arc<[u8]>) -> Result<ImageKind, EmojiError> {
        let limits = &self.settings.emoji;
        if image.len() > limits.max_bytes {
            return Err(EmojiError::TooLarge);
        }
        let kind = ImageKind::sniff(image).filter(|k| limits.allowed.contains(k)).ok_or(EmojiError::TypeNotAllowed)?;
        self.images.check(image.clone(), kind, limits.max_dimension).await.map_err(|p| match p {
            ImageProblem::TooLarge => EmojiError::TooLarge,
            ImageProblem::Invalid => EmojiError::InvalidImage,
        })?;
        Ok(kind)
    }

    /// `emoji_add`: owners only. Nothing is written unless the name and the image pass.
    pub async fn add(
        &self,
        session: &Session,
        input: Result<NewEmoji, EmojiError>,
        origin: &Origin,
    ) -> Outcome<EmojiError> {
        let owner = self.directory.require_owner_or(session, MANAGE_SERVER).await?.user;
        let NewEmoji { name, image } = input?;
        let name = parse_name(&name).ok_or(EmojiError::InvalidName)?;
        let refused = |all: &[Emoji]| {
            if all.iter().any(|e| name_key(&e.name) == name_key(&name)) {
                Some(EmojiError::NameTaken)
            } else {
                (all.len() >= self.settings.emoji.max_count).then_some(EmojiError::LimitReached)
            }
        };
        if let Some(e) = refused(&self.catalogue().await.map_err(|e| add_failed("reading emojis", &e))?) {
            return Err(e);
        }
        let image: Arc<[u8]> = image.into();
        let kind = self.checked_image(&image).await?;
        let writes = self.writes.lock().await;
        if let Some(e) = refused(&self.current().await.map_err(|e| add_failed("reading emojis", &e))?) {
            return Err(e);
        }
        let id = self.store.reserve_emoji_id().await.map_err(|e| add_failed("reserving an id", &e))?;
        let emoji = Emoji {
            id,
            name,
            file_name: Emoji::file_name_for(id, kind),
            content_type: kind.content_type().to_owned(),
            byte_size: image.len() as u64,
            created_by: Some(owner.id),
            created_at: self.clock.now(),
        };
        self.images.save(&emoji.file_name, &image).await.map_err(|e| add_failed("writing the image", &e))?;
        let stored = self.store.insert_emoji(&emoji).await;
        if !matches!(stored, Ok(true)) {
            if let Err(e) = self.images.remove(&emoji.file_name).await {
                tracing::warn!(error = %e, file = %emoji.file_name, "emoji_add: could not remove the unused image");
            }
            return Err(match stored {
                Ok(_) => EmojiError::NameTaken,
                Err(e) => add_failed("storing the record", &e),
            });
        }
        let _ = self.reload().await;
        drop(writes);
        Ok(self.announce(&Packet::EmojiAdded(Box::new(emoji)), origin))
    }

    /// `emoji_update`: owners only; renames. `updated: false` (nothing written) for an
    /// unknown id, a bad or taken name, or any `image`.
    pub async fn update(
        &self,
        session: &Session,
        input: Result<EmojiChange, EmojiError>,
        origin: &Origin,
    ) -> Outcome<EmojiError> {
        self.directory.require_owner_or(session, MANAGE_SERVER).await?;
        let EmojiChange { id, name, image } = input?;
        if name.is_none() && !image {
            return Err(EmojiError::NothingToUpdate);
        }
        let unchanged = Reply::Packet(Packet::EmojiUpdated { id, updated: false, name: None });
        let Some(name) = name.as_deref().and_then(parse_name).filter(|_| !image) else { return Ok(unchanged) };
        let writes = self.writes.lock().await;
        let all = self.current().await?;
        let clash = all.iter().any(|e| e.id != id && name_key(&e.name) == name_key(&name));
        if clash || !all.iter().any(|e| e.id == id) {
            return Ok(unchanged);
        }
        match self.store.rename_emoji(id, &name).await {
            Ok(true) => {}
            Ok(false) | Err(StoreError { kind: StoreErrorKind::Conflict, .. }) => return Ok(unchanged),
            Err(e) => return Err(e.into()),
        }
        let _ = self.reload().await;
        drop(writes);
        Ok(self.announce(&Packet::EmojiUpdated { id, updated: true, name: Some(name) }, origin))
    }

    /// `emoji_delete`: owners only. The record goes first, then its image, unless another
    /// emoji uses the same file. Reactions and messages that use it are not touched.
    pub async fn delete(&self, session: &Session, id: Result<i64, EmojiError>, origin: &Origin) -> Outcome<EmojiError> {
        self.directory.require_owner_or(session, MANAGE_SERVER).await?;
        let id = id?;
        let writes = self.writes.lock().await;
        let Some(gone) = self.store.delete_emoji(id).await? else {
            return Ok(Reply::Packet(Packet::EmojiDeleted { id, deleted: false }));
        };
        let rest = self.reload().await;
        let shared = rest.map(|all| all.iter().any(|e| e.file_name == gone.file_name)).unwrap_or(true);
        if !shared
            && safe_file_name(&gone.file_name)
            && let Err(e) = self.images.remove(&gone.file_name).await
        {
            tracing::warn!(error = %e, file = %gone.file_name, "emoji_delete: could not remove the image");
        }
        drop(writes);
        Ok(self.announce(&Packet::EmojiDeleted { id, deleted: true }, origin))
    }

    /// The emoji that `/emojis/<text>` serves: all digits name an id, anything else must
    /// be the file name of an emoji. Only bare file names of kinds still allowed are served.
    pub async fn served(&self, text: &str) -> StoreResult<Option<Emoji>> {
        let all = self.catalogue().await?;
        let by_id = (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse::<i64>().ok());
        let found = match by_id {
            Some(id) => all.iter().find(|e| Some(e.id) == id),
            None => all.iter().find(|e| e.file_name == text),
        };
        let allowed = |e: &&Emoji| {
            ImageKind::of_file_name(&e.file_name).is_some_and(|k| self.settings.emoji.allowed.contains(&k))
        };
        Ok(found.filter(|e| safe_file_name(&e.file_name)).filter(allowed).cloned())
    }

    /// Whether `host` (of a custom-emoji reaction) is this server.
    pub fn is_own_host(&self, host: &str) -> bool {
        self.settings.emoji.own_hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
    }

    /// Whether emoji `id` exists.
    pub async fn exists(&self, id: i64) -> StoreResult<bool> {
        Ok(self.catalogue().await?.iter().any(|e| e.id == id))
    }
}
