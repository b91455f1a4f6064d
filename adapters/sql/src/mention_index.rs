//! The `mentions` table: the mention targets of every message (`domain::mentions`), kept in
//! the same transaction as the message, so that `pings_get` pages and counts in SQL
//! (docs/design/messages.md#pings-list).
//!
//! Rows are written by the group-commit writer with each new message, rewritten when a
//! message is updated, deleted with their message or channel, written by the importer, and
//! backfilled for older messages by migration `m0004_mentions`.

use std::collections::{HashMap, HashSet};

use sea_orm::ActiveValue::NotSet;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, Set};

use super::entities::{mentions, messages};
use super::import::batches;
use super::text::TextCodec;

/// The rows of message `message_seq` for its `targets` (as given), in stored form.
pub fn rows(
    text: TextCodec,
    message_seq: i64,
    channel_seq: i64,
    timestamp: f64,
    targets: &[String],
) -> impl Iterator<Item = mentions::ActiveModel> {
    targets.iter().map(move |t| {
        text.store(mentions::ActiveModel {
            seq: NotSet,
            message_seq: Set(message_seq),
            channel_seq: Set(channel_seq),
            target: Set(t.clone()),
            timestamp: Set(timestamp),
        })
    })
}

/// Inserts `rows` in statements of a bounded size (import.rs, `batches`).
pub async fn insert(c: &impl ConnectionTrait, rows: Vec<mentions::ActiveModel>) -> Result<(), DbErr> {
    let size = |r: &mentions::ActiveModel| 32 + r.target.try_as_ref().map_or(0, String::len);
    for chunk in batches(&rows, size) {
        mentions::Entity::insert_many(chunk.to_vec()).exec_without_returning(c).await?;
    }
    Ok(())
}

/// The `seq` of each message named by its channel and stored id (messages just inserted,
/// whose generated `seq` the insert did not return).
pub async fn message_seqs(
    c: &impl ConnectionTrait,
    keys: &[(i64, String)],
) -> Result<HashMap<(i64, String), i64>, DbErr> {
    let mut found = HashMap::new();
    for chunk in batches(keys, |(_, id)| 16 + id.len()) {
        let channels: HashSet<i64> = chunk.iter().map(|(c, _)| *c).collect();
        let ids: HashSet<&str> = chunk.iter().map(|(_, id)| id.as_str()).collect();
        let rows: Vec<(i64, i64, String)> = messages::Entity::find()
            .select_only()
            .column(messages::Column::Seq)
            .column(messages::Column::ChannelSeq)
            .column(messages::Column::Id)
            .filter(messages::Column::ChannelSeq.is_in(channels))
            .filter(messages::Column::Id.is_in(ids))
            .into_tuple()
            .all(c)
            .await?;
        found.extend(rows.into_iter().map(|(seq, channel, id)| ((channel, id), seq)));
    }
    Ok(found)
}

/// A message that was inserted without its `seq`: its channel, stored id, timestamp and
/// targets (as given).
pub struct Inserted<'a> {
    /// `channels.seq`.
    pub channel_seq: i64,
    /// The id as stored.
    pub stored_id: &'a str,
    /// Its timestamp.
    pub timestamp: f64,
    /// Its mention targets.
    pub targets: &'a [String],
}

/// Writes the mention rows of messages just inserted.
pub async fn index_inserted(c: &impl ConnectionTrait, text: TextCodec, inserted: &[Inserted<'_>]) -> Result<(), DbErr> {
    let wanted: Vec<&Inserted> = inserted.iter().filter(|m| !m.targets.is_empty()).collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let keys: Vec<(i64, String)> = wanted.iter().map(|m| (m.channel_seq, m.stored_id.to_owned())).collect();
    let seqs = message_seqs(c, &keys).await?;
    let mut all = vec![];
    for m in wanted {
        let seq = seqs
            .get(&(m.channel_seq, m.stored_id.to_owned()))
            .ok_or_else(|| DbErr::RecordNotFound(format!("message just inserted in channel {}", m.channel_seq)))?;
        all.extend(rows(text, *seq, m.channel_seq, m.timestamp, m.targets));
    }
    insert(c, all).await
}

/// Deletes the rows of message `message_seq`.
pub async fn forget_message(c: &impl ConnectionTrait, message_seq: i64) -> Result<(), DbErr> {
    mentions::Entity::delete_many().filter(mentions::Column::MessageSeq.eq(message_seq)).exec(c).await?;
    Ok(())
}

/// Deletes the rows of every message of channel `channel_seq`.
pub async fn forget_channel(c: &impl ConnectionTrait, channel_seq: i64) -> Result<(), DbErr> {
    mentions::Entity::delete_many().filter(mentions::Column::ChannelSeq.eq(channel_seq)).exec(c).await?;
    Ok(())
}
