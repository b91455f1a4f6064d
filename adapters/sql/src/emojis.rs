//! Custom emoji rows (`emojis`, created with the importer's tables) and the id counter in
//! `meta` (`emoji_next_id`), so that ids are never reused (docs/design/emojis.md#storage).

use application::ports::{EmojiRepository, StoreResult};
use async_trait::async_trait;
use domain::{Emoji, UserId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::entities::meta;
use super::import::{EMOJI_NEXT_ID_KEY, set_meta};
use super::import_tables::emojis;
use super::text::TextCodec;
use super::{SqlStore, connect, err, store_error};

/// The next id the counter allows: past the stored counter and past every stored id.
async fn next_id(c: &impl ConnectionTrait, text: TextCodec) -> Result<i64, DbErr> {
    let counter = meta::Entity::find_by_id(text.put(EMOJI_NEXT_ID_KEY)).one(c).await?;
    let counter = counter.and_then(|row| text.get(row.value).parse::<i64>().ok()).unwrap_or(0);
    let highest: Option<i64> = emojis::Entity::find()
        .select_only()
        .column(emojis::Column::Id)
        .order_by_desc(emojis::Column::Id)
        .into_tuple()
        .one(c)
        .await?;
    Ok(counter.max(highest.map_or(0, |id| id + 1)))
}

fn emoji_from_row(text: TextCodec, r: emojis::Model) -> Emoji {
    let r = text.load(r);
    Emoji {
        id: r.id,
        name: r.name,
        file_name: r.file_name,
        content_type: r.content_type,
        byte_size: u64::try_from(r.byte_size).unwrap_or(0),
        created_by: r.created_by.map(UserId),
        created_at: r.created_at,
    }
}

fn emoji_row(text: TextCodec, e: &Emoji) -> emojis::ActiveModel {
    text.store(emojis::ActiveModel {
        id: Set(e.id),
        name: Set(e.name.clone()),
        name_lower: Set(e.name.to_ascii_lowercase()),
        file_name: Set(e.file_name.clone()),
        content_type: Set(e.content_type.clone()),
        byte_size: Set(i64::try_from(e.byte_size).unwrap_or(i64::MAX)),
        created_by: Set(e.created_by.as_ref().map(|u| u.0.clone())),
        created_at: Set(e.created_at),
        extra: Set("{}".into()),
    })
}

#[async_trait]
impl EmojiRepository for SqlStore {
    async fn emojis(&self) -> StoreResult<Vec<Emoji>> {
        let rows =
            emojis::Entity::find().order_by_asc(emojis::Column::Id).all(&self.db).await.map_err(err("emojis"))?;
        Ok(rows.into_iter().map(|r| emoji_from_row(self.text, r)).collect())
    }

    async fn reserve_emoji_id(&self) -> StoreResult<i64> {
        let reserve = async {
            let tx = connect::begin_write(&self.db).await?;
            let id = next_id(&tx, self.text).await?;
            set_meta(&tx, self.text, EMOJI_NEXT_ID_KEY, (id + 1).to_string()).await?;
            tx.commit().await?;
            Ok(id)
        };
        reserve.await.map_err(err("reserve_emoji_id"))
    }

    async fn insert_emoji(&self, emoji: &Emoji) -> StoreResult<bool> {
        let operation = format!("insert_emoji id={}", emoji.id);
        let tx = connect::begin_write(&self.db).await.map_err(|e| store_error(operation.clone(), e))?;
        let clash = emojis::Entity::find()
            .filter(
                Condition::any()
                    .add(emojis::Column::Id.eq(emoji.id))
                    .add(emojis::Column::NameLower.eq(self.text.put(&emoji.name.to_ascii_lowercase()))),
            )
            .one(&tx)
            .await
            .map_err(|e| store_error(operation.clone(), e))?;
        if clash.is_some() {
            return Ok(false);
        }
        let write = async {
            emoji_row(self.text, emoji).insert(&tx).await?;
            let next = next_id(&tx, self.text).await?;
            set_meta(&tx, self.text, EMOJI_NEXT_ID_KEY, next.to_string()).await?;
            tx.commit().await
        };
        write.await.map_err(|e| store_error(operation, e))?;
        Ok(true)
    }

    async fn rename_emoji(&self, id: i64, name: &str) -> StoreResult<bool> {
        let update = emojis::Entity::update_many()
            .col_expr(emojis::Column::Name, self.text.put(name).into())
            .col_expr(emojis::Column::NameLower, self.text.put(&name.to_ascii_lowercase()).into())
            .filter(emojis::Column::Id.eq(id));
        let done = update.exec(&self.db).await.map_err(|e| store_error(format!("rename_emoji id={id}"), e))?;
        Ok(done.rows_affected > 0)
    }

    async fn delete_emoji(&self, id: i64) -> StoreResult<Option<Emoji>> {
        let operation = format!("delete_emoji id={id}");
        let delete = async {
            let tx = connect::begin_write(&self.db).await?;
            let Some(row) = emojis::Entity::find_by_id(id).one(&tx).await? else { return Ok(None) };
            emojis::Entity::delete_by_id(id).exec(&tx).await?;
            tx.commit().await?;
            Ok(Some(emoji_from_row(self.text, row)))
        };
        delete.await.map_err(|e| store_error(operation, e))
    }
}
