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

/// Of `cases`, each case and supervisor whose board answer granted a request.
pub async fn granted(client: &impl GenericClient, cases: &[Uuid]) -> Result<Vec<(Uuid, String)>> {
    Ok(client
        .query(
            "SELECT case_id, supervisor FROM approval_answers
             WHERE case_id = ANY($1) AND granted",
            &[&cases],
        )
        .await?
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}
