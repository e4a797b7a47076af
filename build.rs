//! Finds the frontal face model that the rustface crate ships, so the binary embeds it:
//! nothing is downloaded at run time.

use std::process::Command;

fn main() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let target = std::env::var("TARGET").unwrap_or_default();
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--filter-platform",
            &target,
            "--manifest-path",
        ])
        .arg(format!("{manifest}/Cargo.toml"))
        .output();
    let metadata: serde_json::Value = match out {
        Ok(o) if o.status.success() => serde_json::from_slice(&o.stdout).unwrap_or_default(),
        Ok(o) => panic!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!("cannot run cargo metadata: {e}"),
    };
    let rustface = metadata["packages"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "rustface"))
        .and_then(|p| p["manifest_path"].as_str())
        .unwrap_or_else(|| panic!("rustface is not among the dependencies"));
    let model = std::path::Path::new(rustface)
        .with_file_name("model")
        .join("seeta_fd_frontal_v1.0.bin");
    assert!(
        model.exists(),
        "rustface's model is missing at {}",
        model.display()
    );
    println!("cargo:rustc-env=LOKET_FACE_MODEL={}", model.display());
    println!("cargo:rerun-if-changed=Cargo.lock");
    // refinery embeds pusat's migrations at compile time: a new file must rebuild.
    println!("cargo:rerun-if-changed=assets/migrations/central");
}
