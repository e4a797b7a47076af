//! Configuration: the defaults in assets/config.toml (built in), the data directory's
//! config.toml laid over them, then environment variables and flags (applied by the CLI).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::{Office, Zone};

const DEFAULTS: &str = include_str!("../assets/config.toml");
pub const FEES: &str = crate::domain::fees::PUBLISHED;

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub office: OfficeConfig,
    pub counter: CounterConfig,
    pub ui: UiConfig,
    #[serde(default)]
    pub booking: BookingConfig,
    #[serde(default)]
    pub scanner: crate::devices::serial::SerialConfig,
    #[serde(default)]
    pub camera: crate::devices::camera::CameraConfig,
    /// The queue-ticket printer (ESC/POS); none by default.
    #[serde(default)]
    pub printer: crate::devices::printer::PrinterConfig,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct BookingConfig {
    pub token_key: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OfficeConfig {
    pub code: String,
    pub name: String,
    pub timezone: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CounterConfig {
    pub number: u32,
    pub idle_lock_minutes: u32,
    /// Fees still owed at the decision: `block` (the default) or `supervisor`.
    #[serde(default)]
    pub underpaid: UnderpaidRule,
}

/// What the office allows when an applicant has not paid in full at the decision: nothing
/// (the strict default: take the payment or defer), or a supervisor's approval with reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnderpaidRule {
    #[default]
    Block,
    Supervisor,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UiConfig {
    pub language: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error(
        "unknown time zone {0:?}: use WIB, WITA, WIT or Asia/Jakarta, Asia/Makassar, Asia/Jayapura"
    )]
    Zone(String),
    #[error("booking.token_key is not a base64url Ed25519 public key")]
    TokenKey,
}

impl Config {
    /// The defaults, then the system's file (`LOKET_CONFIG`, /etc/loket/config.toml on a
    /// kiosk installed from the package), then `dir/config.toml`, each laid over the one
    /// before when it exists.
    pub fn load(dir: &Path) -> Result<Config, ConfigError> {
        let mut layers = Vec::new();
        for path in Self::files(dir) {
            match std::fs::read_to_string(&path) {
                Ok(text) => layers.push((path, text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(ConfigError::Read { path, source }),
            }
        }
        let texts: Vec<&str> = layers.iter().map(|(_, t)| t.as_str()).collect();
        Self::from_layers(&texts).map_err(|(index, message)| ConfigError::Invalid {
            path: layers
                .get(index)
                .map_or_else(|| dir.join("config.toml"), |(p, _)| p.clone()),
            message,
        })
    }

    /// The files [`Config::load`] reads, in order.
    pub fn files(dir: &Path) -> Vec<PathBuf> {
        let mut files = Vec::new();
        if let Some(system) = std::env::var_os("LOKET_CONFIG").filter(|v| !v.is_empty()) {
            files.push(PathBuf::from(system));
        }
        files.push(dir.join("config.toml"));
        files
    }

    pub fn defaults() -> Config {
        // The built-in file is tested to parse (config::tests), so this cannot fail at run time.
        Self::from_layers(&[]).unwrap_or_else(|(_, e)| unreachable!("built-in config: {e}"))
    }

    /// The defaults with `layers` laid over them in turn; an error names the layer (its
    /// index) that caused it.
    fn from_layers(layers: &[&str]) -> Result<Config, (usize, String)> {
        let mut base: toml::Table =
            toml::from_str(DEFAULTS).map_err(|e| (usize::MAX, e.to_string()))?;
        for (i, text) in layers.iter().enumerate() {
            let over: toml::Table = toml::from_str(text).map_err(|e| (i, e.to_string()))?;
            merge(&mut base, over);
        }
        let last = layers.len().saturating_sub(1);
        toml::Value::Table(base)
            .try_into()
            .map_err(|e: toml::de::Error| (last, e.to_string()))
    }

    pub fn office(&self) -> Result<Office, ConfigError> {
        let zone = Zone::parse(&self.office.timezone)
            .ok_or_else(|| ConfigError::Zone(self.office.timezone.clone()))?;
        Ok(Office {
            code: self.office.code.clone(),
            name: self.office.name.clone(),
            zone,
        })
    }
}

impl Config {
    /// The booking service's public key, when one is configured.
    pub fn token_key(&self) -> Result<Option<ed25519_dalek::VerifyingKey>, ConfigError> {
        let text = self.booking.token_key.trim();
        if text.is_empty() {
            return Ok(None);
        }
        crate::domain::payload::verifying_key(text)
            .map(Some)
            .ok_or(ConfigError::TokenKey)
    }
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(key, v);
            }
        }
    }
}

/// The per-user data directory: `$LOKET_DATA_DIR`, else `$XDG_DATA_HOME/loket`, else
/// `~/.local/share/loket`.
/// The demo's own folder, beside the real one, so a demo never mixes with a counter's data.
pub fn default_demo_dir() -> PathBuf {
    let mut dir = default_data_dir();
    dir.set_file_name("loket-demo");
    dir
}

pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("loket");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    home.join(".local/share/loket")
}

/// Which office and counter this terminal is, and with which settings, from what it knows:
/// the config file says first; once enrolled, the credential (pusat's word at enrollment)
/// overrides the office and the counter number; once synced, the office pusat last sent
/// (`pulled`: the office and its settings) overrides both, and its booking-token key is
/// used unless the config file names one.
pub fn resolve(
    mut config: Config,
    credential: Option<&crate::sync::Credential>,
    pulled: Option<(Office, serde_json::Value)>,
) -> Result<(Config, Office), ConfigError> {
    let mut office = config.office()?;
    let Some(credential) = credential else {
        return Ok((config, office));
    };
    office.code.clone_from(&credential.office.code);
    office.name.clone_from(&credential.office.name);
    office.zone = Zone::parse(&credential.office.zone).unwrap_or(office.zone);
    config.counter.number = credential.counter;
    if let Some((pulled, settings)) = pulled {
        office = pulled;
        let key = settings.get("token_key").and_then(|k| k.as_str());
        if let (Some(key), true) = (key, config.booking.token_key.is_empty()) {
            config.booking.token_key = key.to_owned();
        }
    }
    Ok((config, office))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_defaults_parse() {
        let c = Config::defaults();
        assert_eq!(c.office().unwrap().zone, Zone::Wib);
        assert_eq!(c.counter.idle_lock_minutes, 5);
    }

    #[test]
    fn user_file_overrides_only_what_it_names() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.toml"),
            "[office]\ncode = \"MKS\"\ntimezone = \"WITA\"\n",
        )
        .unwrap();
        let c = Config::load(dir.path()).unwrap();
        assert_eq!(c.office.code, "MKS");
        assert_eq!(c.office().unwrap().zone, Zone::Wita);
        assert_eq!(c.office.name, Config::defaults().office.name);
        std::fs::write(dir.path().join("config.toml"), "[office\n").unwrap();
        assert!(matches!(
            Config::load(dir.path()),
            Err(ConfigError::Invalid { .. })
        ));
        std::fs::write(
            dir.path().join("config.toml"),
            "[office]\ntimezone = \"CET\"\n",
        )
        .unwrap();
        assert!(matches!(
            Config::load(dir.path()).unwrap().office(),
            Err(ConfigError::Zone(_))
        ));
    }

    fn credential(code: &str, counter: u32) -> crate::sync::Credential {
        crate::sync::Credential {
            server: "https://pusat.example".into(),
            device_id: uuid::Uuid::nil(),
            token: "t".into(),
            expires_at: chrono::Utc::now(),
            office: crate::protocol::OfficeInfo {
                code: code.into(),
                name: format!("Kantor {code}"),
                zone: "WITA".into(),
                config: Default::default(),
            },
            counter,
            ca_pem: None,
        }
    }

    #[test]
    fn the_credential_overrides_the_config_and_the_pulled_office_both() {
        let config = Config::defaults();
        let (c, office) = resolve(config.clone(), None, None).unwrap();
        assert_eq!(office, config.office().unwrap());
        assert_eq!(c.counter.number, config.counter.number);

        let enrolled = credential("MKS", 7);
        let (c, office) = resolve(config.clone(), Some(&enrolled), None).unwrap();
        assert_eq!((office.code.as_str(), office.zone), ("MKS", Zone::Wita));
        assert_eq!(office.name, "Kantor MKS");
        assert_eq!(c.counter.number, 7);

        let mut pulled = office.clone();
        pulled.name = "Kantor Imigrasi Makassar".into();
        let settings = serde_json::json!({"token_key": "pulled-key"});
        let (c, office) = resolve(
            config.clone(),
            Some(&enrolled),
            Some((pulled.clone(), settings.clone())),
        )
        .unwrap();
        assert_eq!(office, pulled);
        assert_eq!(c.booking.token_key, "pulled-key");
        // A key named in the config file wins over the pulled one.
        let mut own = config.clone();
        own.booking.token_key = "own-key".into();
        let (c, _) = resolve(own, Some(&enrolled), Some((pulled, settings))).unwrap();
        assert_eq!(c.booking.token_key, "own-key");
        // Without a credential, nothing pulled is used.
        let other = Office {
            code: "XXX".into(),
            ..office
        };
        let (_, office) =
            resolve(config.clone(), None, Some((other, serde_json::json!({})))).unwrap();
        assert_eq!(office, config.office().unwrap());
    }
}
