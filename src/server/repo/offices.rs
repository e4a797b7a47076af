//! The `offices` table as the handlers read it: each office's zone and configuration.

use tokio_postgres::GenericClient;

use super::super::Result;
use crate::protocol::OfficeInfo;

/// Every office: code, zone and configuration.
pub async fn all(client: &impl GenericClient) -> Result<Vec<(String, String, serde_json::Value)>> {
    Ok(client
        .query("SELECT code, zone, config FROM offices", &[])
        .await?
        .into_iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect())
}

/// One office's zone and configuration.
pub async fn get(
    client: &impl GenericClient,
    office: &str,
) -> Result<Option<(String, serde_json::Value)>> {
    Ok(client
        .query_opt(
            "SELECT zone, config FROM offices WHERE code = $1",
            &[&office],
        )
        .await?
        .map(|r| (r.get(0), r.get(1))))
}

/// Adds an office, or updates its name, zone and configuration.
/// Adds or replaces an office; the counters pusat enrolled there (see
/// [`crate::domain::queue::COUNTERS_KEY`]) stay in its settings.
pub async fn put(
    client: &impl GenericClient,
    code: &str,
    name: &str,
    zone: &str,
    config: &serde_json::Value,
) -> Result<()> {
    client
        .execute(
            "INSERT INTO offices (code, name, zone, config) VALUES ($1, $2, $3, $4)
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, zone = excluded.zone,
                 config = excluded.config
                     || jsonb_strip_nulls(jsonb_build_object('counters', offices.config->'counters'))",
            &[&code, &name, &zone, &config],
        )
        .await?;
    Ok(())
}

/// Merges `patch` into the office's configuration; the office as it then is, or `None`
/// when there is no such office.
pub async fn patch_config(
    client: &impl GenericClient,
    code: &str,
    patch: &serde_json::Value,
) -> Result<Option<OfficeInfo>> {
    Ok(client
        .query_opt(
            "UPDATE offices SET config = config || $2 WHERE code = $1
             RETURNING code, name, zone, config",
            &[&code, &patch],
        )
        .await?
        .map(|row| {
            let config: serde_json::Value = row.get(3);
            OfficeInfo {
                code: row.get(0),
                name: row.get(1),
                zone: row.get(2),
                config: config.as_object().cloned().unwrap_or_default(),
            }
        }))
}
