//! Schema migrations, applied at start-up on both backends.

use sea_orm::{EntityTrait, Schema};
use sea_orm_migration::prelude::*;

use super::entities::{channels, messages, meta, roles, users};

/// All migrations in order.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(Initial), Box::new(super::import_tables::ImportTables)]
    }
}

/// The first schema.
#[derive(DeriveMigrationName)]
struct Initial;

async fn create<E: EntityTrait>(manager: &SchemaManager<'_>, schema: &Schema, entity: E) -> Result<(), DbErr> {
    manager.create_table(schema.create_table_from_entity(entity)).await?;
    for index in schema.create_index_from_entity(entity) {
        manager.create_index(index).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Initial {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let schema = Schema::new(manager.get_database_backend());
        create(manager, &schema, users::Entity).await?;
        create(manager, &schema, roles::Entity).await?;
        create(manager, &schema, channels::Entity).await?;
        create(manager, &schema, messages::Entity).await?;
        create(manager, &schema, meta::Entity).await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_messages_channel_id")
                    .table(messages::Entity)
                    .col(messages::Column::ChannelSeq)
                    .col(messages::Column::Id)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_messages_channel_seq")
                    .table(messages::Entity)
                    .col(messages::Column::ChannelSeq)
                    .col(messages::Column::Seq)
                    .to_owned(),
            )
            .await
    }
}
