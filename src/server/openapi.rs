//! pusat's API as an OpenAPI 3.1 document, served at `/api/v1/openapi.json` and printed by
//! `pusat openapi`. It is made from the handlers' own `#[utoipa::path]` attributes and the
//! routes the router serves, never written by hand; this module adds only what belongs to
//! the whole API: its title and version, and the two security schemes.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder};

/// The document's frame: info and security schemes (paths and schemas come from the
/// routes).
pub fn base() -> OpenApi {
    let device = HttpBuilder::new()
        .scheme(HttpAuthScheme::Bearer)
        .description(Some(
            "A device's token from /enroll or /renew. Every device signs every request with \
             the key it enrolled: `loket-time` (Unix seconds, within 10 minutes of pusat's \
             clock), `loket-nonce` (22 to 64 base64url characters, new for each request), \
             `loket-body-sha256` (hex SHA-256 of the body, empty or not) and `loket-signature` \
             (Ed25519, or ECDSA P-256 `r || s` for a key in the kiosk's TPM, base64url, over \
             `LOKET-REQUEST-3`, method, path with query, time, nonce and body hash, one a line). \
             A body other than the one signed is refused (401); a request other than GET or \
             HEAD sent again with the same nonce is refused (401: taken once). A renewal asked \
             again before its token is used answers the same token. A display's token reads \
             the calls only.",
        ))
        .build();
    let integration = HttpBuilder::new()
        .scheme(HttpAuthScheme::Bearer)
        .description(Some(
            "The booking system's integration key (`--integration-key`, at least 32 bytes).",
        ))
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("pusat")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "The central service of Loket, the counter terminal of Indonesia's \
                     immigration offices. Every request and answer carries the header \
                     `loket-protocol: 1`.",
                ))
                .build(),
        )
        .components(Some(
            ComponentsBuilder::new()
                .security_scheme("device", SecurityScheme::Http(device))
                .security_scheme("integration", SecurityScheme::Http(integration))
                .build(),
        ))
        .build()
}

/// The whole document, as the router serves it.
pub fn document() -> OpenApi {
    let (_, doc) = super::api().split_for_parts();
    doc
}

/// `GET /openapi.json`.
#[utoipa::path(get, path = "/openapi.json", tag = "public",
    responses((status = 200, description = "This document (OpenAPI 3.1)", content_type = "application/json")))]
pub async fn serve() -> Json<serde_json::Value> {
    static DOC: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    Json(
        DOC.get_or_init(|| serde_json::to_value(document()).unwrap_or_default())
            .clone(),
    )
}
