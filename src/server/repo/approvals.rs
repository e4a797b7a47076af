//! The `approval_answers` table: supervisors' answers from the board, one per request.

use tokio_postgres::GenericClient;
use uuid::Uuid;

use super::super::auth::Device;
use super::super::{ApiError, Result};
use crate::protocol::ApprovalAnswer;

/// Keeps `answer`, given by `device` in `event`; `false` when its request was answered
/// already.
pub async fn answer(
    client: &impl GenericClient,
    answer: &ApprovalAnswer,
    device: &Device,
    event: Uuid,
) -> Result<bool> {
    let body = serde_json::to_value(answer).map_err(|e| ApiError::Internal(e.to_string()))?;
    let stored = client
        .execute(
            "INSERT INTO approval_answers
                 (request, case_id, office, event, device, supervisor, granted, body)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (request) DO NOTHING",
            &[
                &answer.request,
                &answer.case_id,
                &device.office,
                &event,
                &device.id,
                &answer.supervisor,
                &answer.granted,
                &body,
            ],
        )
        .await?;
    Ok(stored == 1)
}

/// The answers to `requests`, each with the event that carried it out, once one did.
pub async fn answered(
    client: &impl GenericClient,
    requests: &[Uuid],
) -> Result<Vec<(ApprovalAnswer, Option<Uuid>)>> {
    let rows = client
        .query(
            "SELECT body, used_by FROM approval_answers WHERE request = ANY($1)",
            &[&requests],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let answer = serde_json::from_value(r.get(0))
                .map_err(|e| ApiError::Internal(format!("stored answer: {e}")))?;
            Ok((answer, r.get(1)))
        })
        .collect()
}

/// Records that `event` carried out the answer to `request`: it is used, once.
pub async fn used(client: &impl GenericClient, request: Uuid, event: Uuid) -> Result<()> {
    client
        .execute(
            "UPDATE approval_answers SET used_by = $2 WHERE request = $1 AND used_by IS NULL",
            &[&request, &event],
        )
        .await?;
    Ok(())
}
