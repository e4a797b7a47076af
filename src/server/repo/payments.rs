//! The `payments` table: each NTPN an office has recorded, and the case that carries it.

use tokio_postgres::GenericClient;
use uuid::Uuid;

use super::super::Result;
use crate::domain::case::Payment;

/// Records `payment` of case `case` in `office`, carried by `event`, unless the office has
/// the NTPN already: then the case that has it (which may be `case` itself).
pub async fn record(
    client: &impl GenericClient,
    office: &str,
    case: Uuid,
    event: Uuid,
    payment: &Payment,
) -> Result<Option<Uuid>> {
    let inserted = client
        .execute(
            "INSERT INTO payments (office, ntpn, case_id, event_id, amount)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            &[&office, &payment.ntpn, &case, &event, &payment.amount],
        )
        .await?;
    if inserted == 1 {
        return Ok(None);
    }
    Ok(client
        .query_opt(
            "SELECT case_id FROM payments WHERE office = $1 AND ntpn = $2",
            &[&office, &payment.ntpn],
        )
        .await?
        .map(|r| r.get(0)))
}
