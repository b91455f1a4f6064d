//! Web Push subscriptions in `push_subscriptions` (docs/design/push.md#storage), the table
//! the importer fills with the original's subscriptions: rows keyed by user id, one per
//! (user, endpoint), in creation order (`seq`).

use application::ports::{PushSubscriptionRepository, StoreResult, Subscription};
use async_trait::async_trait;
use domain::UserId;
use sea_orm::ActiveValue::NotSet;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use super::import_tables::push_subscriptions::{ActiveModel, Column, Entity};
use super::{SqlStore, connect, err};

#[async_trait]
impl PushSubscriptionRepository for SqlStore {
    async fn subscriptions(&self, user: &UserId) -> StoreResult<Vec<Subscription>> {
        let rows = Entity::find()
            .filter(Column::UserId.eq(self.text.put(user.as_str())))
            .order_by_asc(Column::Seq)
            .all(&self.db)
            .await
            .map_err(err("subscriptions"))?;
        Ok(rows
            .into_iter()
            .map(|r| self.text.load(r))
            .map(|r| Subscription { endpoint: r.endpoint, p256dh: r.p256dh, auth: r.auth })
            .collect())
    }

    async fn save_subscription(&self, user: &UserId, sub: &Subscription, keep: usize, now: f64) -> StoreResult<()> {
        let fail = err("save_subscription");
        let (user_id, endpoint) = (self.text.put(user.as_str()), self.text.put(&sub.endpoint));
        let tx = connect::begin_write(&self.db).await.map_err(&fail)?;
        Entity::delete_many()
            .filter(Column::Endpoint.eq(endpoint.clone()))
            .filter(Column::UserId.ne(user_id.clone()))
            .exec(&tx)
            .await
            .map_err(&fail)?;
        let existing = Entity::find()
            .filter(Column::UserId.eq(user_id.clone()))
            .filter(Column::Endpoint.eq(endpoint))
            .one(&tx)
            .await
            .map_err(&fail)?
            .map(|r| self.text.load(r));
        let row = self.text.store(ActiveModel {
            seq: existing.as_ref().map_or(NotSet, |r| Set(r.seq)),
            user_id: Set(user.as_str().to_owned()),
            endpoint: Set(sub.endpoint.clone()),
            p256dh: Set(sub.p256dh.clone()),
            auth: Set(sub.auth.clone()),
            created_at: existing.as_ref().map_or(Set(now), |r| Set(r.created_at)),
            extra: existing.as_ref().map_or_else(|| Set("{}".to_owned()), |r| Set(r.extra.clone())),
        });
        match existing {
            Some(_) => row.update(&tx).await.map(drop),
            None => row.insert(&tx).await.map(drop),
        }
        .map_err(&fail)?;
        // A handful of rows: `keep` plus the one just added (or what an import brought).
        let newest_first: Vec<i64> = Entity::find()
            .select_only()
            .column(Column::Seq)
            .filter(Column::UserId.eq(user_id))
            .order_by_desc(Column::Seq)
            .into_tuple()
            .all(&tx)
            .await
            .map_err(&fail)?;
        let surplus: Vec<i64> = newest_first.into_iter().skip(keep.max(1)).collect();
        if !surplus.is_empty() {
            Entity::delete_many().filter(Column::Seq.is_in(surplus)).exec(&tx).await.map_err(&fail)?;
        }
        tx.commit().await.map_err(&fail)
    }

    async fn delete_subscription(&self, user: &UserId, endpoint: &str) -> StoreResult<bool> {
        let done = Entity::delete_many()
            .filter(Column::UserId.eq(self.text.put(user.as_str())))
            .filter(Column::Endpoint.eq(self.text.put(endpoint)))
            .exec(&self.db)
            .await
            .map_err(err("delete_subscription"))?;
        Ok(done.rows_affected > 0)
    }
}
