//! The kiosk's device key inside its TPM, where the kiosk has one. The key is an ECDSA
//! P-256 key (TPM 2.0 has no Ed25519) made by the TPM under its storage hierarchy with
//! `fixedTPM`: its private half leaves the TPM only wrapped by that TPM's own storage key,
//! so the blob kept in `device.key` signs nothing on any other machine, even with the
//! kiosk's secret and credential copied beside it.
//!
//! The TPM is reached through a TCTI: `$LOKET_TPM` when set (`device:/dev/tpmrm0`,
//! `swtpm:host=127.0.0.1,port=2321`, or `off` for none), else the kernel's resource manager
//! `/dev/tpmrm0` when it exists. A TSS context is not `Send`, so one thread per key owns it
//! and signs what it is sent.

use std::str::FromStr;
use std::sync::mpsc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use tss_esapi::TctiNameConf;
use tss_esapi::abstraction::transient::{KeyMaterial, KeyParams, TransientKeyContext};
use tss_esapi::interface_types::{algorithm::HashingAlgorithm, ecc::EccCurve};
use tss_esapi::structures::{Digest, EccScheme, HashScheme, Signature};
use tss_esapi::utils::PublicKey;

/// The variable that names the kiosk's TPM (a TCTI), or `off`.
pub const ENV: &str = "LOKET_TPM";
/// The kernel's TPM resource manager.
pub const DEVICE: &str = "/dev/tpmrm0";

#[derive(Debug, thiserror::Error)]
pub enum TpmError {
    #[error("the TPM at {tcti} cannot be used: {message}")]
    Unavailable { tcti: String, message: String },
    #[error(
        "the TPM at {tcti} refuses this kiosk's key (made by another TPM, or the TPM was cleared): {message}"
    )]
    ForeignKey { tcti: String, message: String },
    #[error("the TPM key is damaged: {0}")]
    Damaged(String),
    #[error("the TPM stopped answering")]
    Gone,
}

/// The TPM this kiosk should use: `$LOKET_TPM` (unless `off`), else `/dev/tpmrm0` when the
/// kernel offers it; `None` when the kiosk has none.
pub fn configured() -> Option<String> {
    match std::env::var(ENV) {
        Ok(v) if v.eq_ignore_ascii_case("off") || v.eq_ignore_ascii_case("none") => None,
        Ok(v) if !v.trim().is_empty() => Some(v.trim().to_owned()),
        _ => std::path::Path::new(DEVICE)
            .exists()
            .then(|| format!("device:{DEVICE}")),
    }
}

/// What `device.key` holds for a TPM key: where the TPM was and the key's wrapped blob.
#[derive(Serialize, Deserialize)]
struct Stored {
    tcti: String,
    material: KeyMaterial,
}

type Job = (Vec<u8>, mpsc::Sender<Result<[u8; 64], String>>);

/// A signing key that lives in a TPM. Cloning shares the one thread that talks to it.
#[derive(Clone)]
pub struct TpmKey {
    public: String,
    tcti: String,
    /// What `device.key` keeps (sealed): the TCTI and the TPM's wrapped blob.
    stored: std::sync::Arc<Vec<u8>>,
    jobs: std::sync::Arc<Thread>,
}

/// The `tpm` thread and the way to it. Dropped with the last clone of the key: the queue
/// closes and the thread is waited for, so the TSS context is closed before the key is gone
/// (a context still closing while the process exited crashed inside the TSS library).
struct Thread {
    queue: Option<mpsc::Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Thread {
    fn drop(&mut self) {
        self.queue = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `tpm` threads not yet ended, each with its TSS context open.
static ALIVE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many `tpm` threads still hold a TSS context. A process must not exit while one
/// does (the TSS and OpenSSL libraries tear down at exit under it): its tests wait for
/// none before they end.
pub fn threads_alive() -> usize {
    ALIVE.load(std::sync::atomic::Ordering::SeqCst)
}

/// One `tpm` thread counted from before it starts until its context is closed.
struct Alive;

impl Alive {
    fn new() -> Alive {
        ALIVE.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Alive
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        ALIVE.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl std::fmt::Debug for TpmKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TpmKey")
            .field("public", &self.public)
            .field("tcti", &self.tcti)
            .finish_non_exhaustive()
    }
}

fn params() -> KeyParams {
    KeyParams::Ecc {
        curve: EccCurve::NistP256,
        scheme: EccScheme::EcDsa(HashScheme::new(HashingAlgorithm::Sha256)),
    }
}

fn context(tcti: &str) -> Result<TransientKeyContext, TpmError> {
    let unavailable = |e: &dyn std::fmt::Display| TpmError::Unavailable {
        tcti: tcti.to_owned(),
        message: e.to_string(),
    };
    let conf = TctiNameConf::from_str(tcti).map_err(|e| unavailable(&e))?;
    // No authorisation on the storage key, so the same key is derived at every start.
    TransientKeyContext::builder()
        .with_tcti(conf)
        .with_root_key_auth_size(0)
        .build()
        .map_err(|e| unavailable(&e))
}

fn public_of(material: &KeyMaterial) -> Result<String, TpmError> {
    let PublicKey::Ecc { x, y } = material.public() else {
        return Err(TpmError::Damaged("not an elliptic-curve key".into()));
    };
    let mut point = vec![4u8];
    point.extend(pad32(x)?);
    point.extend(pad32(y)?);
    p256::ecdsa::VerifyingKey::from_sec1_bytes(&point)
        .map_err(|_| TpmError::Damaged("not a P-256 point".into()))?;
    Ok(format!(
        "{}{}",
        crate::protocol::P256_PREFIX,
        URL_SAFE_NO_PAD.encode(point)
    ))
}

/// A big-endian number of at most 32 bytes, left-padded to 32.
fn pad32(bytes: &[u8]) -> Result<[u8; 32], TpmError> {
    let bytes = match bytes.iter().position(|b| *b != 0) {
        Some(first) => &bytes[first..],
        None => &[][..],
    };
    let mut out = [0u8; 32];
    if bytes.len() > 32 {
        return Err(TpmError::Damaged("a number longer than 32 bytes".into()));
    }
    out[32 - bytes.len()..].copy_from_slice(bytes);
    Ok(out)
}

fn sign_with(
    cx: &mut TransientKeyContext,
    material: &KeyMaterial,
    message: &[u8],
) -> Result<[u8; 64], String> {
    let digest =
        Digest::try_from(sha2::Sha256::digest(message).to_vec()).map_err(|e| e.to_string())?;
    let signature = cx
        .sign(material.clone(), params(), None, digest)
        .map_err(|e| e.to_string())?;
    let Signature::EcDsa(ecc) = signature else {
        return Err("the TPM answered another kind of signature".into());
    };
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&pad32(ecc.signature_r().value()).map_err(|e| e.to_string())?);
    out[32..].copy_from_slice(&pad32(ecc.signature_s().value()).map_err(|e| e.to_string())?);
    Ok(out)
}

impl TpmKey {
    /// Makes a new key in the TPM at `tcti`.
    pub fn create(tcti: &str) -> Result<TpmKey, TpmError> {
        let mut cx = context(tcti)?;
        let (material, _) = cx
            .create_key(params(), 0)
            .map_err(|e| TpmError::Unavailable {
                tcti: tcti.to_owned(),
                message: e.to_string(),
            })?;
        let stored = serde_json::to_vec(&Stored {
            tcti: tcti.to_owned(),
            material: material.clone(),
        })
        .map_err(|e| TpmError::Damaged(e.to_string()))?;
        Self::serve(cx, tcti, material, stored)
    }

    /// The key `device.key` keeps, in the TPM it names (or at `tcti` when given). It signs
    /// once here, so a key that this TPM cannot load is refused now, not at the first sync.
    pub fn open(bytes: &[u8], tcti: Option<&str>) -> Result<TpmKey, TpmError> {
        let stored: Stored =
            serde_json::from_slice(bytes).map_err(|e| TpmError::Damaged(e.to_string()))?;
        let tcti = tcti.unwrap_or(&stored.tcti);
        let mut cx = context(tcti)?;
        sign_with(
            &mut cx,
            &stored.material,
            b"loket: can this TPM use the key?",
        )
        .map_err(|message| TpmError::ForeignKey {
            tcti: tcti.to_owned(),
            message,
        })?;
        Self::serve(cx, tcti, stored.material, bytes.to_vec())
    }

    fn serve(
        mut cx: TransientKeyContext,
        tcti: &str,
        material: KeyMaterial,
        stored: Vec<u8>,
    ) -> Result<TpmKey, TpmError> {
        let public = public_of(&material)?;
        let (jobs, queue) = mpsc::channel::<Job>();
        let alive = Alive::new();
        let thread = std::thread::Builder::new()
            .name("tpm".into())
            .spawn(move || {
                // Ends when the last clone of the key is dropped.
                for (message, answer) in queue {
                    let _ = answer.send(sign_with(&mut cx, &material, &message));
                }
                // The context is closed before the thread counts as ended.
                drop(cx);
                drop(alive);
            })
            .map_err(|e| TpmError::Unavailable {
                tcti: tcti.to_owned(),
                message: e.to_string(),
            })?;
        Ok(TpmKey {
            public,
            tcti: tcti.to_owned(),
            stored: std::sync::Arc::new(stored),
            jobs: std::sync::Arc::new(Thread {
                queue: Some(jobs),
                thread: Some(thread),
            }),
        })
    }

    /// The public half as pusat keeps it: `p256:` and the base64url SEC1 point.
    pub fn public(&self) -> &str {
        &self.public
    }

    /// What `device.key` keeps for this key (before sealing).
    pub fn stored(&self) -> &[u8] {
        &self.stored
    }

    /// Where the TPM is reached.
    pub fn tcti(&self) -> &str {
        &self.tcti
    }

    /// An ECDSA P-256 / SHA-256 signature of `message`, `r ‖ s`.
    pub fn sign(&self, message: &[u8]) -> Result<[u8; 64], TpmError> {
        let (answer, answered) = mpsc::channel();
        self.jobs
            .queue
            .as_ref()
            .ok_or(TpmError::Gone)?
            .send((message.to_vec(), answer))
            .map_err(|_| TpmError::Gone)?;
        answered
            .recv()
            .map_err(|_| TpmError::Gone)?
            .map_err(|message| TpmError::Unavailable {
                tcti: self.tcti.clone(),
                message,
            })
    }
}
