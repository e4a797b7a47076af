//! The `photos` table: uploads addressed by SHA-256, owned by the device that began them.

use tokio_postgres::GenericClient;
use uuid::Uuid;

use super::super::Result;

/// An upload as it stands, read under a row lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// Bytes arrived.
    pub have: i64,
    pub complete: bool,
    /// The size it was begun with.
    pub size: i64,
    pub owner: Option<Uuid>,
    /// Idle for longer than the expiry.
    pub stale: bool,
}

/// Deletes unfinished uploads idle for `hours`, and complete photos no case names that
/// old (uploaded, then never used: nobody's photo); returns how many.
pub async fn expire(client: &impl GenericClient, hours: i32) -> Result<u64> {
    Ok(client
        .execute(
            "DELETE FROM photos p
             WHERE p.updated_at < now() - make_interval(hours => $1)
               AND (NOT p.complete
                    OR NOT EXISTS (SELECT 1 FROM cases c
                                   WHERE c.state->'photo'->'taken'->>'sha256' = p.sha256))",
            &[&hours],
        )
        .await?)
}

/// How many photos `device` completed in the last day.
pub async fn completed_today(client: &impl GenericClient, device: Uuid) -> Result<i64> {
    Ok(client
        .query_one(
            "SELECT count(*) FROM photos
             WHERE device = $1 AND complete AND updated_at > now() - interval '1 day'",
            &[&device],
        )
        .await?
        .get(0))
}

/// How much of `device`'s own upload of `sha` has arrived, and whether it is complete;
/// `None` when the device holds no such photo (another device's is never told).
pub async fn progress_of(
    client: &impl GenericClient,
    sha: &str,
    device: Uuid,
) -> Result<Option<(i64, bool)>> {
    Ok(client
        .query_opt(
            "SELECT have, complete FROM photos WHERE sha256 = $1 AND device = $2",
            &[&sha, &device],
        )
        .await?
        .map(|r| (r.get(0), r.get(1))))
}

/// Bytes of unfinished uploads `device` holds, other than `sha`.
pub async fn unfinished_bytes(client: &impl GenericClient, device: Uuid, sha: &str) -> Result<i64> {
    Ok(client
        .query_one(
            "SELECT COALESCE(SUM(size), 0)::bigint FROM photos
             WHERE device = $1 AND NOT complete AND sha256 <> $2",
            &[&device, &sha],
        )
        .await?
        .get(0))
}

/// Begins an upload of `sha` for `device` unless one exists; `true` when begun here.
pub async fn begin(
    client: &impl GenericClient,
    sha: &str,
    size: i64,
    device: Uuid,
) -> Result<bool> {
    Ok(client
        .execute(
            "INSERT INTO photos (sha256, size, device) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&sha, &size, &device],
        )
        .await?
        == 1)
}

/// The upload of `sha`, locked until the transaction ends.
pub async fn lock(client: &impl GenericClient, sha: &str, expiry_hours: i32) -> Result<Upload> {
    let row = client
        .query_one(
            "SELECT have, complete, size, device,
                    updated_at < now() - make_interval(hours => $2)
             FROM photos WHERE sha256 = $1 FOR UPDATE",
            &[&sha, &expiry_hours],
        )
        .await?;
    Ok(Upload {
        have: row.get(0),
        complete: row.get(1),
        size: row.get(2),
        owner: row.get(3),
        stale: row.get(4),
    })
}

/// Gives a stale upload to `device`, empty, with `size`.
pub async fn take_over(
    client: &impl GenericClient,
    sha: &str,
    device: Uuid,
    size: i64,
) -> Result<()> {
    client
        .execute(
            "UPDATE photos SET device = $2, size = $3, data = '\\x', have = 0, updated_at = now()
             WHERE sha256 = $1",
            &[&sha, &device, &size],
        )
        .await?;
    drop_chunks(client, sha).await?;
    Ok(())
}

/// Starts the upload again, empty, with `size`.
pub async fn restart(client: &impl GenericClient, sha: &str, size: i64) -> Result<()> {
    client
        .execute(
            "UPDATE photos SET size = $2, data = '\\x', have = 0 WHERE sha256 = $1",
            &[&sha, &size],
        )
        .await?;
    drop_chunks(client, sha).await?;
    Ok(())
}

async fn drop_chunks(client: &impl GenericClient, sha: &str) -> Result<()> {
    client
        .execute("DELETE FROM photo_chunks WHERE sha256 = $1", &[&sha])
        .await?;
    Ok(())
}

/// Keeps `chunk` at `start`, beside those before it (nothing already stored is
/// rewritten); returns the whole photo, assembled, when this chunk completed it.
pub async fn append(
    client: &impl GenericClient,
    sha: &str,
    start: i64,
    chunk: &[u8],
) -> Result<Option<Vec<u8>>> {
    client
        .execute(
            "INSERT INTO photo_chunks (sha256, start, data) VALUES ($1, $2, $3)",
            &[&sha, &start, &chunk],
        )
        .await?;
    let done: bool = client
        .query_one(
            "UPDATE photos SET have = have + $2, updated_at = now() WHERE sha256 = $1
             RETURNING have = size",
            &[&sha, &(chunk.len() as i64)],
        )
        .await?
        .get(0);
    if !done {
        return Ok(None);
    }
    let data: Vec<u8> = client
        .query_one(
            "SELECT COALESCE(string_agg(data, '\\x'::bytea ORDER BY start), '\\x')
             FROM photo_chunks WHERE sha256 = $1",
            &[&sha],
        )
        .await?
        .get(0);
    Ok(Some(data))
}

/// Throws the bytes away (they did not match the address, or are no passport photo).
pub async fn discard(client: &impl GenericClient, sha: &str) -> Result<()> {
    client
        .execute(
            "UPDATE photos SET data = '\\x', have = 0 WHERE sha256 = $1",
            &[&sha],
        )
        .await?;
    drop_chunks(client, sha).await
}

/// Keeps the assembled photo, complete: its bytes matched its address and are a passport
/// photo. Its chunks go.
pub async fn complete(client: &impl GenericClient, sha: &str, data: &[u8]) -> Result<()> {
    client
        .execute(
            "UPDATE photos SET complete = true, data = $2 WHERE sha256 = $1",
            &[&sha, &data],
        )
        .await?;
    drop_chunks(client, sha).await
}
